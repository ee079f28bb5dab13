package feed

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

func clipAll(t testing.TB, in string, limit int64) (string, *clip) {
	t.Helper()
	c := newClip(strings.NewReader(in), limit)
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), c
}

func TestClip(t *testing.T) {
	big := strings.Repeat("ب", 40)
	tests := []struct{ name, in, item, tag string }{
		{"small items pass", `<rss><channel><item><title>a</title></item></channel></rss>`, "", ""},
		{"large item clipped", "<rss><channel><item>\n<title>" + big + "</title>\n</item><item>b</item></channel></rss>",
			"<item>\n<title>" + big + "</title>\n</item>", "item"},
		{"end tag in CDATA", "<feed><entry><![CDATA[</entry>" + big + "]]></entry><entry/></feed>",
			"<entry><![CDATA[</entry>" + big + "]]></entry>", "entry"},
		{"prefixed and nested", "<rdf:RDF><rss:item><rss:item>" + big + "</rss:item></rss:item></rdf:RDF>",
			"<rss:item><rss:item>" + big + "</rss:item></rss:item>", "rss:item"},
		{"items in comments and attributes untouched", "<rss a='<item>'><!-- <item>" + big + "</item> --><itemx>" + big + "</itemx></rss>", "", ""},
		{"declaration with internal subset", "<!DOCTYPE rss [<!ENTITY e \"<item>\">]><rss><item>" + big + "</item></rss>",
			"<item>" + big + "</item>", "item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.in
			if tt.item != "" {
				stub := fmt.Sprintf(`<%s raqib-too-large="%d" raqib-offset="%d"%s/>`, tt.tag, len(tt.item), strings.Index(tt.in, tt.item),
					strings.Repeat("\n", strings.Count(tt.item, "\n")))
				want = strings.Replace(tt.in, tt.item, stub, 1)
			}
			if got, _ := clipAll(t, tt.in, 60); got != want {
				t.Errorf("clipped\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestClippedItemRejected checks the decoder's side: the item over the
// limit is rejected at its line and offset, the next is read with its own.
func TestClippedItemRejected(t *testing.T) {
	in := "<rss><channel><link>https://news.example/</link>\n<item><link>https://news.example/1</link><description>" +
		strings.Repeat("نص ", 100) + "\n</description></item>\n<item><link>https://news.example/2</link></item></channel></rss>"
	ps, rs, err := collectLimit(in, 200)
	if err != nil {
		t.Fatal(err)
	}
	after := strings.Index(in, "<item><link>https://news.example/2")
	if len(ps) != 1 || ps[0].Origin.Line != 4 || ps[0].Origin.Offset != int64(after) || string(ps[0].Raw) != in[after:after+len(ps[0].Raw)] {
		t.Errorf("posts %+v", ps)
	}
	if len(rs) != 1 || rs[0].Line != 2 || rs[0].Offset != int64(strings.Index(in, "<item>")) || !strings.Contains(rs[0].Reason, "limit of 200 bytes") {
		t.Errorf("rejections %+v", rs)
	}
}

// FuzzClip checks that a clip with a limit above the input's size changes
// nothing, and that any clip keeps the line count.
func FuzzClip(f *testing.F) {
	f.Add("<rss><channel><item><title>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</title>\n</item></channel></rss>", uint8(10))
	f.Add("<feed><entry><![CDATA[</entry>]]></entry><!-- <entry> --><?pi <entry>?></feed>", uint8(5))
	f.Add("<!DOCTYPE x [<!ENTITY a '>'>]><a:item b='>'/><item/>", uint8(3))
	f.Fuzz(func(t *testing.T, in string, limit uint8) {
		if same, _ := clipAll(t, in, int64(len(in))+1); same != in {
			t.Fatalf("clip with a large limit changed %q into %q", in, same)
		}
		if got, _ := clipAll(t, in, int64(limit)); strings.Count(got, "\n") != strings.Count(in, "\n") {
			t.Fatalf("clip of %q lost lines: %q", in, got)
		}
	})
}

func collectLimit(in string, limit int64) ([]post.Post, []source.Rejection, error) {
	return source.Collect(Decoder{}, source.Input{Name: "f.xml", R: strings.NewReader(in), MaxRecord: limit})
}
