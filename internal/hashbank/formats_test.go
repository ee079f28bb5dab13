package hashbank

import (
	"bytes"
	"errors"
	"github.com/raqib-project/raqib/internal/signaltype"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

type reader func(r io.Reader, file, bank string) ([]Entry, []*RowError, error)

type wantBad struct {
	line  int
	field string
	err   error
}

func TestReadFixtures(t *testing.T) {
	tests := []struct {
		name, file string
		read       reader
		wantHashes []string
		wantBad    []wantBad
	}{
		{
			name: "raqib csv", file: "bank.csv", read: ReadCSV,
			wantHashes: []string{
				"0123456789abcdeffedcba98765432100f0f0f0f0f0f0f0ff0f0f0f0f0f0f0f0",
				"d41d8cd98f00b204e9800998ecf8427e",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				"text:c29tZSBub3JtYWxpemVkIHRleHQ",
			},
			wantBad: []wantBad{
				{5, "hash", signaltype.ErrBadValue}, {6, "labels", ErrBadLabel}, {7, "type", signaltype.ErrUnknown},
				{8, "provenance", ErrBadTime}, {9, "hash", ErrMissingField},
			},
		},
		{
			name: "hma csv", file: "hma.csv", read: ReadHMACSV,
			wantHashes: []string{
				"f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95",
				"b062eb9d2ab170c0567fcb672d9a5548c5612982dd5e374a7424ebbc8b135cb5",
			},
			wantBad: []wantBad{{4, "hash", signaltype.ErrBadValue}, {5, "labels", ErrBadLabel}},
		},
		{
			name: "hma csv without header", file: "hma-headerless.csv", read: ReadHMACSV,
			wantHashes: []string{
				"f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95",
				"b062eb9d2ab170c0567fcb672d9a5548c5612982dd5e374a7424ebbc8b135cb5",
			},
			wantBad: []wantBad{{3, "hash", signaltype.ErrBadValue}},
		},
		{
			name: "tat json", file: "tat.json", read: ReadTATJSON,
			wantHashes: []string{
				"d41d8cd98f00b204e9800998ecf8427e",
				"0123456789abcdeffedcba98765432100f0f0f0f0f0f0f0ff0f0f0f0f0f0f0f0",
			},
			wantBad: []wantBad{
				{17, "hash_type", signaltype.ErrUnknown}, {21, "classification", ErrBadLabel},
				{26, "", ErrBadRecord}, {27, "date_added", ErrBadTime}, {32, "hash", ErrBadRecord},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			entries, bad, err := tc.read(f, tc.file, "imported")
			if err != nil {
				t.Fatal(err)
			}
			var hashes []string
			for _, e := range entries {
				if e.Bank != "imported" || !e.Enabled {
					t.Errorf("entry %s: bank %q enabled %v", e.Hash, e.Bank, e.Enabled)
				}
				hashes = append(hashes, e.Hash)
			}
			if !reflect.DeepEqual(hashes, tc.wantHashes) {
				t.Errorf("hashes %q, want %q", hashes, tc.wantHashes)
			}
			if len(bad) != len(tc.wantBad) {
				t.Fatalf("%d bad rows %v, want %d", len(bad), bad, len(tc.wantBad))
			}
			for i, w := range tc.wantBad {
				b := bad[i]
				if b.File != tc.file || b.Line != w.line || b.Field != w.field || !errors.Is(b, w.err) {
					t.Errorf("bad row %d: %v (line %d field %q), want line %d field %q %v", i, b, b.Line, b.Field, w.line, w.field, w.err)
				}
			}
		})
	}
}

func TestReadDetails(t *testing.T) {
	f, err := os.Open("testdata/tat.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, _, err := ReadTATJSON(f, "tat.json", "tat")
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{
		Bank: "tat", Type: signaltype.MD5.Name, Hash: "d41d8cd98f00b204e9800998ecf8427e", Labels: []post.Label{post.Propaganda},
		Entity: "isis", Source: "archive.org", Enabled: true,
		Provenance: Provenance{SharedAt: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), CaseRef: "TAT-2026-001"},
	}
	if !reflect.DeepEqual(entries[0], want) {
		t.Errorf("got %+v\nwant %+v", entries[0], want)
	}
	if got := entries[1].Labels; !reflect.DeepEqual(got, []post.Label{post.Propaganda, post.CounterSpeech}) {
		t.Errorf("array classification read as %v", got)
	}
	if got := entries[1].Provenance.CaseRef; got != "7031" {
		t.Errorf("numeric id read as reference %q, want 7031", got)
	}
}

func TestReadFatal(t *testing.T) {
	tests := []struct {
		name, in string
		read     reader
		err      error
	}{
		{name: "csv empty", in: "", read: ReadCSV, err: ErrBadHeader},
		{name: "csv unknown column", in: "hash,algo,colour\n", read: ReadCSV, err: ErrBadHeader},
		{name: "csv no algo column", in: "hash,labels\n", read: ReadCSV, err: ErrBadHeader},
		{name: "csv column twice", in: "hash,algo,hash\n", read: ReadCSV, err: ErrBadHeader},
		{name: "hma without hash column", in: "quality\n", read: ReadHMACSV, err: ErrBadHeader},
		{name: "json object at top", in: `{"hash": "x"}`, read: ReadTATJSON, err: ErrBadRecord},
		{name: "json cut short", in: `[{"hash": "d41d8cd98f00b204e9800998ecf8427e", "hash_type": "md5"}, {"ha`, read: ReadTATJSON, err: ErrBadRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.read(strings.NewReader(tc.in), "in", "b")
			if !errors.Is(err, tc.err) || !strings.HasPrefix(err.Error(), "in") {
				t.Fatalf("err %v, want %v naming the file", err, tc.err)
			}
		})
	}
}

func roundTripEntries() []Entry {
	at := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	return []Entry{
		{Bank: "x", Type: signaltype.PDQ.Name, Hash: pdqBase.String(), Labels: []post.Label{post.Propaganda, post.Threat}, Entity: "isis",
			Source: "telegram, channel \"A\"", Provenance: Provenance{SharedBy: "partner-3", SharedAt: at, CaseRef: "C-9"}, Enabled: true},
		{Bank: "x", Type: signaltype.PDQ.Name, Hash: flip(pdqBase, 9).String(), Enabled: true},
		{Bank: "x", Type: signaltype.MD5.Name, Hash: md5Hash, Labels: []post.Label{post.Instruction}, Entity: "aq", Enabled: true,
			Provenance: Provenance{SharedBy: "وحدة ٧", CaseRef: "ملف-3"}},
		{Bank: "x", Type: signaltype.SHA256.Name, Hash: strings.Repeat("ab", 32), Source: "https://example.org/a?b=1", Enabled: true},
		{Bank: "x", Type: signaltype.TextSHA256.Name, Hash: "txt:1f2e", Labels: []post.Label{post.News}, Enabled: true},
		{Bank: "x", Type: signaltype.VPDQ.Name, Hash: vpdqValue, Labels: []post.Label{post.Propaganda}, Enabled: true},
		{Bank: "x", Type: signaltype.TextMinHash.Name, Hash: strings.Repeat("0123abcd", 128), Enabled: true},
	}
}

// vpdqValue is a canonical vPDQ value of three frames.
var vpdqValue = "0,90," + pdqBase.String() + ",0.000;1,90," + flip(pdqBase, 40).String() + ",1.000;2,40," + flip(pdqBase, 80).String() + ",2.000"

func TestRoundTrip(t *testing.T) {
	all := roundTripEntries()
	tests := []struct {
		name    string
		entries []Entry
		write   func(io.Writer, []Entry) error
		read    reader
	}{
		{name: "csv", entries: all, write: WriteCSV, read: ReadCSV},
		{name: "hma csv", entries: all[:2], write: WriteHMACSV, read: ReadHMACSV},
		{name: "hma csv of videos", entries: all[5:6], write: WriteHMACSV, read: ReadHMACSV},
		{name: "tat json", entries: append(slices.Clone(all[:4]), all[5]), write: WriteTATJSON, read: ReadTATJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf, tc.entries); err != nil {
				t.Fatal(err)
			}
			got, bad, err := tc.read(&buf, "export", "x")
			if err != nil || len(bad) > 0 {
				t.Fatalf("re-import: %v %v", err, bad)
			}
			if !reflect.DeepEqual(got, tc.entries) {
				t.Fatalf("round trip changed entries:\n got %+v\nwant %+v", got, tc.entries)
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	all := roundTripEntries()
	piped := all[0]
	piped.Provenance.SharedBy = "a|b"
	tests := []struct {
		name  string
		write func(io.Writer, []Entry) error
		e     Entry
		err   error
	}{
		{name: "hma md5", write: WriteHMACSV, e: all[2], err: ErrMixedTypes},
		{name: "tat text", write: WriteTATJSON, e: all[4], err: signaltype.ErrUnknown},
		{name: "tat minhash", write: WriteTATJSON, e: all[6], err: signaltype.ErrUnknown},
		{name: "csv pipe in provenance", write: WriteCSV, e: piped, err: ErrBadCell},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(io.Discard, []Entry{tc.e}); !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
	if err := WriteHMACSV(io.Discard, []Entry{all[0], all[5]}); !errors.Is(err, ErrMixedTypes) {
		t.Errorf("hma pdq and vpdq in one file: %v, want ErrMixedTypes", err)
	}
}

// TestReadHMATypes reads the type of HMA-style rows from the hash column's
// name or from a signal_type column.
func TestReadHMATypes(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		bad      int
	}{
		{"vpdq_hash column", "vpdq_hash,labels\n\"" + vpdqValue + "\",propaganda\n", []string{"vpdq"}, 0},
		{"signal_type column", "signal_type,signal_value\nvpdq,\"" + vpdqValue + "\"\npdq," + pdqBase.String() + "\nvideo_md5," + md5Hash + "\nphoto_sha1,ab\n", []string{"vpdq", "pdq", "md5"}, 1},
		{"pdq by default", "hash\n" + pdqBase.String() + "\n", []string{"pdq"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, bad, err := ReadHMACSV(strings.NewReader(tc.in), "hma.csv", "b")
			if err != nil || len(bad) != tc.bad {
				t.Fatalf("read: %v, bad rows %v", err, bad)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Type)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("types %v, want %v", got, tc.want)
			}
		})
	}
}

// checkImport holds for every input: good entries validate, bad rows name
// file and line, and what was read survives an export and a re-import.
func checkImport(t *testing.T, read reader, write func(io.Writer, []Entry) error, data []byte) {
	entries, bad, err := read(bytes.NewReader(data), "fuzz", "b")
	if err != nil {
		return
	}
	for _, b := range bad {
		if b.File != "fuzz" || b.Line < 1 || b.Err == nil {
			t.Fatalf("row error without position: %#v", b)
		}
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			t.Fatalf("entry %+v kept although invalid: %v", e, err)
		}
	}
	var buf bytes.Buffer
	if err := write(&buf, entries); err != nil {
		return
	}
	again, bad, err := read(&buf, "fuzz", "b")
	if err != nil || len(bad) > 0 {
		t.Fatalf("re-import of %q: %v %v", buf.String(), err, bad)
	}
	if len(again) != len(entries) || (len(entries) > 0 && !reflect.DeepEqual(again, entries)) {
		t.Fatalf("round trip changed entries:\n got %+v\nwant %+v", again, entries)
	}
}

func addFixtures(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadCSV(f *testing.F) {
	addFixtures(f, "bank.csv")
	f.Add([]byte("hash,algo\n\"d41d8cd98f00b204e9800998ecf8427e\",md5\n\"unterminated"))
	f.Add([]byte("hash,type\n\"" + vpdqValue + "\",vpdq\n" + strings.Repeat("0123abcd", 128) + ",minhash\n\"0,90,zz\",vpdq\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkImport(t, ReadCSV, WriteCSV, data) })
}

func FuzzReadHMACSV(f *testing.F) {
	addFixtures(f, "hma.csv", "hma-headerless.csv")
	f.Add([]byte("vpdq_hash,labels\n\"" + vpdqValue + "\",propaganda\n"))
	f.Add([]byte("signal_type,signal_value\nvpdq,\"" + vpdqValue + "\"\npdq," + pdqBase.String() + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkImport(t, ReadHMACSV, WriteHMACSV, data) })
}

func FuzzReadTATJSON(f *testing.F) {
	addFixtures(f, "tat.json")
	f.Add([]byte(`[{"hash":"d41d8cd98f00b204e9800998ecf8427e","hash_type":"md5","classification":null}]`))
	f.Add([]byte(`[{"hash":"` + vpdqValue + `","hash_type":"VPDQ"},{"hash":"` + md5Hash + `","hash_type":"text"}]`))
	f.Fuzz(func(t *testing.T, data []byte) { checkImport(t, ReadTATJSON, WriteTATJSON, data) })
}
