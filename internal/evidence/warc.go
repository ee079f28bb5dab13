package evidence

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WARC record types raqib writes (ISO 28500, WARC/1.1).
const (
	WARCInfo     = "warcinfo"
	WARCRequest  = "request"
	WARCResponse = "response"
	WARCResource = "resource"
	WARCMetadata = "metadata"
)

// ErrBadWARC is returned (wrapped, with the record's offset) for a WARC
// file that does not parse or whose block digest does not match.
var ErrBadWARC = errors.New("bad WARC")

// maxWARCHeader bounds a record's header block: headers are a few hundred
// bytes, and a reader of a damaged file must not read gigabytes looking
// for their end.
const maxWARCHeader = 64 << 10

// Record is one WARC record.
type Record struct {
	Type        string
	TargetURI   string
	ContentType string
	Date        time.Time
	ID          string // WARC-Record-ID, <urn:uuid:...>; set by Write when empty
	// ConcurrentTo links a response to its request.
	ConcurrentTo string
	// BlockDigest is "sha256:<base32>" of Block, set by Write and checked
	// by ReadWARC.
	BlockDigest string
	Block       []byte
}

// warcWriter writes records, each as its own gzip member, as web archives
// do, so that a reader can seek to any record.
type warcWriter struct {
	w io.Writer
}

// Write appends r, filling its ID and digest.
func (ww *warcWriter) Write(r *Record) error {
	if r.ID == "" {
		r.ID = newRecordID()
	}
	r.BlockDigest = warcDigest(r.Block)
	var h bytes.Buffer
	h.WriteString("WARC/1.1\r\n")
	field := func(k, v string) {
		if v != "" {
			// A value with a line break would forge a header.
			v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			fmt.Fprintf(&h, "%s: %s\r\n", k, v)
		}
	}
	field("WARC-Type", r.Type)
	field("WARC-Record-ID", r.ID)
	field("WARC-Date", r.Date.UTC().Format(time.RFC3339Nano))
	field("WARC-Target-URI", r.TargetURI)
	field("WARC-Concurrent-To", r.ConcurrentTo)
	field("WARC-Block-Digest", r.BlockDigest)
	field("Content-Type", r.ContentType)
	field("Content-Length", strconv.Itoa(len(r.Block)))
	h.WriteString("\r\n")
	zw := gzip.NewWriter(ww.w)
	for _, b := range [][]byte{h.Bytes(), r.Block, []byte("\r\n\r\n")} {
		if _, err := zw.Write(b); err != nil {
			return fmt.Errorf("write WARC record: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write WARC record: %w", err)
	}
	return nil
}

// ReadWARC reads every record of a gzipped WARC file and checks each
// record's block digest.
func ReadWARC(r io.Reader) ([]Record, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadWARC, err)
	}
	// The members of a WARC file read as one stream.
	br := bufio.NewReader(zr)
	var out []Record
	for i := 0; ; i++ {
		if _, err := br.Peek(1); err == io.EOF {
			return out, nil
		}
		rec, err := readRecord(br)
		if err != nil {
			return out, fmt.Errorf("%w: record %d: %v", ErrBadWARC, i, err)
		}
		out = append(out, rec)
	}
}

func readRecord(br *bufio.Reader) (Record, error) {
	var rec Record
	read := 0
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		read += len(s)
		if read > maxWARCHeader {
			return "", errors.New("header too long")
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	v, err := line()
	if err != nil {
		return rec, fmt.Errorf("version line: %w", err)
	}
	if v != "WARC/1.1" && v != "WARC/1.0" {
		return rec, fmt.Errorf("version line %q", v)
	}
	length := -1
	for {
		l, err := line()
		if err != nil {
			return rec, fmt.Errorf("header: %w", err)
		}
		if l == "" {
			break
		}
		k, val, ok := strings.Cut(l, ":")
		if !ok {
			return rec, fmt.Errorf("header line %q", l)
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(k) {
		case "warc-type":
			rec.Type = val
		case "warc-record-id":
			rec.ID = val
		case "warc-date":
			rec.Date, _ = time.Parse(time.RFC3339Nano, val)
		case "warc-target-uri":
			rec.TargetURI = val
		case "warc-concurrent-to":
			rec.ConcurrentTo = val
		case "warc-block-digest":
			rec.BlockDigest = val
		case "content-type":
			rec.ContentType = val
		case "content-length":
			if length, err = strconv.Atoi(val); err != nil || length < 0 {
				return rec, fmt.Errorf("content-length %q", val)
			}
		}
	}
	if length < 0 {
		return rec, errors.New("no content-length")
	}
	rec.Block = make([]byte, 0, min(length, 1<<20))
	buf := bytes.NewBuffer(rec.Block)
	if n, err := io.CopyN(buf, br, int64(length)); err != nil {
		return rec, fmt.Errorf("block: %d of %d bytes: %w", n, length, err)
	}
	rec.Block = buf.Bytes()
	var end [4]byte
	if _, err := io.ReadFull(br, end[:]); err != nil || string(end[:]) != "\r\n\r\n" {
		return rec, errors.New("record not terminated by CRLF CRLF")
	}
	if rec.BlockDigest == "" {
		return rec, errors.New("no block digest")
	}
	if got := warcDigest(rec.Block); got != rec.BlockDigest {
		return rec, fmt.Errorf("block digest %s, recorded %s", got, rec.BlockDigest)
	}
	return rec, nil
}

// warcDigest is the labelled base32 SHA-256 web archives use.
func warcDigest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + base32.StdEncoding.EncodeToString(s[:])
}

// sha256Hex is how the manifest and the custody log name content.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newRecordID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "<urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + ">"
}
