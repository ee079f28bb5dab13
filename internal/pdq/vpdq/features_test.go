package vpdq

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodLine = "3,100,dad9998c25266253d29cbd8c09cb52d63624ad3bcf99f26c38660f938799f06c,0.100"

func TestReadFeatures(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantN     int
		wantErrAt []string // line references the error must mention
	}{
		{"four fields", goodLine + "\n", 1, nil},
		{"three fields", "0,100,dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c\n", 1, nil},
		{"blank lines", "\n" + goodLine + "\n\n", 1, nil},
		{"crlf", goodLine + "\r\n" + goodLine + "\r\n", 2, nil},
		{"bad hash kept going", "1,100,zz,0.1\n" + goodLine + "\n", 1, []string{"line 1"}},
		{"bad quality", "1,101," + strings.Repeat("a", 64) + ",0.1\n" + goodLine + "\nx\n", 1, []string{"line 1", "line 3"}},
		{"negative frame", "-1,50," + strings.Repeat("a", 64) + "\n", 0, []string{"line 1"}},
		{"bad timestamp", "1,50," + strings.Repeat("a", 64) + ",NaN\n", 0, []string{"line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := ReadFeatures(strings.NewReader(tc.in))
			if len(fs) != tc.wantN {
				t.Errorf("%d features, want %d", len(fs), tc.wantN)
			}
			if len(tc.wantErrAt) == 0 {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error for bad lines")
			}
			for _, at := range tc.wantErrAt {
				if !strings.Contains(err.Error(), at) {
					t.Errorf("error %q does not mention %q", err, at)
				}
			}
		})
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	in, err := ReadFeatures(strings.NewReader("0,100,dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c,0.000\n" + goodLine + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteFeatures(&buf, in); err != nil {
		t.Fatal(err)
	}
	want := "0,100,dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c,0.000\n" + goodLine + "\n"
	if buf.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestReadFeaturesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.txt")
	if err := os.WriteFile(path, []byte(goodLine+"\nbad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := ReadFeaturesFile(path)
	if len(fs) != 1 || err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("got %d features, error %v; want 1 and an error naming %s line 2", len(fs), err, path)
	}
	if _, err := ReadFeaturesFile(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing file read without error")
	}
}

func FuzzReadFeatures(f *testing.F) {
	f.Add(goodLine + "\n")
	f.Add("0,0," + strings.Repeat("0", 64) + "\n1,2,3\n")
	f.Add(",,,\n")
	f.Fuzz(func(t *testing.T, s string) {
		fs, _ := ReadFeatures(strings.NewReader(s))
		for _, ft := range fs {
			if ft.Frame < 0 || ft.Quality < 0 || ft.Quality > 100 || ft.Timestamp < 0 {
				t.Fatalf("accepted out-of-range feature %+v", ft)
			}
		}
		var buf bytes.Buffer
		if err := WriteFeatures(&buf, fs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadFeatures(&buf)
		if err != nil || len(again) != len(fs) {
			t.Fatalf("re-reading written features: %d of %d, %v", len(again), len(fs), err)
		}
	})
}
