#!/usr/bin/env python3
"""Recomputes raqib audit hashes from the encoding documented in package
audit, independently of the Go code: an outside verifier's starting point.

Reads JSON lines of entries as `raqib audit list --json` prints them (seq,
at, actor, source, action, subject, before, after, prev_hash, hash) on
stdin and reports the first entry that does not verify. The hash covers
the exact bytes of before and after, so they are cut from the line as
printed rather than decoded and encoded again: the key ,"before": can occur
only once unescaped, since quotes inside string values are escaped.
"""
import datetime, hashlib, json, struct, sys

GENESIS = "0" * 64


def raw_value(line, key):
    start = line.find(',"%s":' % key)
    if start < 0:
        return ""
    start += len(key) + 4
    _, end = json.JSONDecoder().raw_decode(line, start)
    return line[start:end]


def entry_hash(e, line):
    at = datetime.datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
    micros = (at - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)
    h = hashlib.sha256(b"raqib-audit-v1")
    for f in [str(e["seq"]), str(micros), e["actor"], e["source"], e["action"], e["subject"],
              raw_value(line, "before"), raw_value(line, "after"),
              e["prev_hash"]]:
        b = f.encode()
        h.update(struct.pack(">Q", len(b)))
        h.update(b)
    return h.hexdigest()


def main():
    prev_seq, head = 0, GENESIS
    for line in sys.stdin:
        e = json.loads(line)
        if e["seq"] != prev_seq + 1:
            sys.exit(f"entry {e['seq']}: gap in seq after {prev_seq}")
        if e["prev_hash"] != head:
            sys.exit(f"entry {e['seq']}: broken link")
        if entry_hash(e, line.rstrip("\n")) != e["hash"]:
            sys.exit(f"entry {e['seq']}: hash mismatch")
        prev_seq, head = e["seq"], e["hash"]
    print(f"{prev_seq} entries verified, head {head}")


if __name__ == "__main__":
    main()
