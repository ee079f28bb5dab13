package plain

import (
	"errors"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

func TestText(t *testing.T) {
	// Hand-made Arabic lines.
	in := "عاجل | هجوم في المدينة\n\n  \nباقية وتتمدد\r\nlast line without newline"
	ps, rs, err := source.Collect(Text{}, source.Input{Name: "in.txt", R: strings.NewReader(in)})
	if err != nil || len(rs) != 0 {
		t.Fatalf("err %v rejections %v", err, rs)
	}
	want := []struct {
		line int
		text string
	}{{1, "عاجل | هجوم في المدينة"}, {4, "باقية وتتمدد"}, {5, "last line without newline"}}
	if len(ps) != len(want) {
		t.Fatalf("%d posts, want %d", len(ps), len(want))
	}
	for i, w := range want {
		if ps[i].Text != w.text || ps[i].Origin.Line != w.line {
			t.Errorf("post %d = %q line %d, want %q line %d", i, ps[i].Text, ps[i].Origin.Line, w.text, w.line)
		}
	}
}

func TestJSONL(t *testing.T) {
	in := `{"text":"أولى","platform":"x","id":"7","author":{"id":"u1"}}
not json
{"id":"9"}
{"text":"ثالثة"}
`
	ps, rs, err := source.Collect(JSONL{}, source.Input{Name: "in.jsonl", R: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].ID != "7" || ps[0].Platform != "x" || ps[0].Author.ID != "u1" || ps[1].ID != "4" {
		t.Errorf("posts = %+v", ps)
	}
	if len(rs) != 2 || rs[0].Line != 2 || rs[1].Line != 3 || !strings.Contains(rs[1].Reason, `"text"`) {
		t.Errorf("rejections = %+v, want lines 2 and 3 naming the field", rs)
	}
	if !(JSONL{}).Sniff("x", []byte(in)) || (JSONL{}).Sniff("x", []byte(`{"name":"chat","messages":[]}`)) {
		t.Error("sniff")
	}
}

func TestLongLineRejected(t *testing.T) {
	in := strings.Repeat("a", 1010) + "\nshort\n"
	ps, rs, err := source.Collect(Text{}, source.Input{Name: "big.txt", R: strings.NewReader(in), MaxRecord: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Text != "short" || len(rs) != 1 || rs[0].Line != 1 || !strings.Contains(rs[0].Reason, "1011 bytes") {
		t.Errorf("posts %d rejections %+v", len(ps), rs)
	}
}

func TestSinkError(t *testing.T) {
	tests := []struct {
		name string
		d    source.Decoder
		in   string
	}{
		{"text", Text{}, "أولى\nثانية\n"},
		{"jsonl", JSONL{}, `{"text":"أولى"}` + "\n" + `{"text":"ثانية"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.SinkErrorStops(t, tt.d, "in", tt.in)
		})
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add(`{"text":"نص"}` + "\n" + `{"text":1}`)
	f.Add("\n\n{}")
	f.Add(`{"text":"` + strings.Repeat("ب", 40) + `"}` + "\n" + `{"text":"b"}`)
	f.Fuzz(func(t *testing.T, in string) {
		for _, limit := range []int64{0, 64} {
			ps, _, err := source.Collect(JSONL{}, source.Input{Name: "f", R: strings.NewReader(in), MaxRecord: limit})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.ID == "" || p.Text == "" && p.Title == "" {
					t.Fatalf("bad post %+v", p)
				}
			}
		}
	})
}

// FuzzText checks that text input never fails but as binary data, and that
// its posts are its non-blank lines.
func FuzzText(f *testing.F) {
	f.Add("سطر\n\nسطر آخر\r\n")
	f.Add("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	f.Add(strings.Repeat("ب", 40) + "\nb")
	f.Fuzz(func(t *testing.T, in string) {
		ps, rs, err := source.Collect(Text{}, source.Input{Name: "f.txt", R: strings.NewReader(in), MaxRecord: 64})
		if err != nil && !errors.Is(err, source.ErrFormat) {
			t.Fatal(err)
		}
		for _, p := range ps {
			if strings.TrimSpace(p.Text) != p.Text || p.Text == "" || len(p.Text) > 64 {
				t.Fatalf("bad post %+v", p)
			}
		}
		for _, r := range rs {
			if r.Line < 1 || !strings.Contains(r.Reason, "limit") {
				t.Fatalf("bad rejection %+v", r)
			}
		}
	})
}

// TestTextRefusesBinary checks that a photo given as text is refused with
// its type rather than read as lines of garbage and scored.
func TestTextRefusesBinary(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
	_, _, err := source.Collect(Text{}, source.Input{Name: "photo.png", R: strings.NewReader(png)})
	if !errors.Is(err, source.ErrFormat) || !strings.Contains(err.Error(), "photo.png") || !strings.Contains(err.Error(), "image/png") {
		t.Errorf("err = %v, want ErrFormat naming the file and its type", err)
	}
}

func TestTextSniff(t *testing.T) {
	for _, tt := range []struct {
		name, head string
		want       bool
	}{
		{"notes.txt", "سطر\n", true},
		{"NOTES.MD", "# عنوان\n", true},
		{"notes.txt", "\x89PNG\r\n\x1a\n\x00\x00", false},
		{"notes.csv", "a,b\n", false},
		{"export/README.md", "# عن التصدير\n", false},
		{"LICENSE.twarc.txt", "MIT\n", false},
	} {
		if got := (Text{}).Sniff(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%s, %q) = %v, want %v", tt.name, tt.head, got, tt.want)
		}
	}
}
