package feed

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

func decode(t *testing.T, name string, b []byte) ([]post.Post, []source.Rejection) {
	t.Helper()
	return sourcetest.Decode(t, Decoder{}, source.Input{Name: name, R: bytes.NewReader(b)})
}

// checkRaw asserts that every post's Raw is the file's own bytes at its
// offset, from the start tag to the end tag.
func checkRaw(t *testing.T, file []byte, ps []post.Post, tag string) {
	t.Helper()
	sourcetest.CheckRaw(t, file, ps)
	for _, p := range ps {
		if !bytes.HasPrefix(p.Raw, []byte("<"+tag)) || !bytes.HasSuffix(p.Raw, []byte("</"+tag+">")) {
			t.Errorf("%s: raw %q is not one <%s> element", p.ID, p.Raw, tag)
		}
	}
}

// field is one value of a decoded post and what it should be; they are
// compared as printed, which lets one table hold values of any type.
type field struct {
	name      string
	got, want any
}

func checkFields(t *testing.T, fields []field) {
	t.Helper()
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			if fmt.Sprint(f.got) != fmt.Sprint(f.want) {
				t.Errorf("got %v, want %v", f.got, f.want)
			}
		})
	}
}

func TestWindows1256RSS(t *testing.T) {
	file := sourcetest.Fixture(t, "arabic_rss_1256.xml")
	if bytes.Contains(file, []byte("صحيفة")) {
		t.Fatal("fixture is UTF-8; it must be windows-1256")
	}
	ps, rs := decode(t, "arabic_rss_1256.xml", file)
	if len(ps) != 2 || len(rs) != 0 {
		t.Fatalf("posts %d rejections %v", len(ps), rs)
	}
	checkRaw(t, file, ps, "item")
	wantCh := post.Channel{Platform: post.Web, ID: "https://news.example.org/", Name: "صحيفة المثال - أخبار", Kind: "feed", URL: "https://news.example.org/"}
	checkFields(t, []field{
		{"channel", ps[0].Channel, wantCh},
		{"id from guid", ps[0].ID, "news-example-1001"},
		{"title", ps[0].Title, "عودة أكثر من ألف نازح إلى الموصل"},
		{"text from CDATA html", ps[0].Text, "قالت السلطات المحلية إن أكثر من ألف نازح عادوا هذا الأسبوع.\nوأضافت أن التقرير الرسمي سينشر لاحقاً & قريباً."},
		{"outlinks", ps[0].Outlinks, []string{"https://gov.example.org/report"}},
		{"creator", ps[0].Author, post.Account{Platform: post.Web, ID: "مراسل الصحيفة", DisplayName: "مراسل الصحيفة"}},
		{"lang from channel", ps[0].Lang, "ar"},
		{"pubDate with offset", ps[0].PostedAt, time.Date(2024, 3, 1, 7, 30, 0, 0, time.UTC)},
		{"media", ps[0].Media, []post.Media{
			{Kind: "photo", URL: "https://news.example.org/img/mosul.jpg", MIME: "image/jpeg", Size: 34567},
			{Kind: "video", URL: "https://news.example.org/video/mosul.mp4", Width: 1280, Height: 720},
		}},
		{"line", ps[0].Origin.Line, 11},
		{"id from link", ps[1].ID, "https://news.example.org/2024/03/02/analysis"},
		{"escaped html", ps[1].Text, "يرى باحثون أن التنظيم نقل نشاطه إلى منصات أصغر.\nانظر الخلفية."},
		{"relative link resolved", ps[1].Outlinks, []string{"https://news.example.org/2024/02/28/background"}},
		{"rss author", ps[1].Author, post.Account{Platform: post.Web, ID: "desk@news.example.org (قسم التحليل)", DisplayName: "قسم التحليل"}},
		{"GMT date", ps[1].PostedAt, time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC)},
	})
	// Raw keeps the file's encoding: the title in windows-1256.
	title, err := charmap.Windows1256.NewEncoder().String("عودة أكثر من ألف نازح")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ps[0].Raw, []byte(title)) {
		t.Error("raw does not hold the windows-1256 bytes of the title")
	}
}

func TestAtom(t *testing.T) {
	file := sourcetest.Fixture(t, "arabic_atom.xml")
	ps, rs := decode(t, "arabic_atom.xml", file)
	if len(ps) != 2 || len(rs) != 0 {
		t.Fatalf("posts %d rejections %v", len(ps), rs)
	}
	checkRaw(t, file, ps, "entry")
	checkFields(t, []field{
		{"channel id is the alternate link", ps[0].Channel.ID, "https://blog.example.org/"},
		{"channel name", ps[0].Channel.Name, "مدونة المثال"},
		{"id", ps[0].ID, "tag:blog.example.org,2024:counter"},
		{"xhtml content preferred to summary", ps[0].Text, "الفقرة الأولى عن الدراسة.\nالفقرة الثانية."},
		{"outlinks", ps[0].Outlinks, []string{"https://example.com/study"}},
		{"published", ps[0].PostedAt, time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)},
		{"edited", ps[0].EditedAt, time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)},
		{"author", ps[0].Author.ID, "كاتب المدونة"},
		{"enclosure link", ps[0].Media, []post.Media{{Kind: "audio", URL: "https://blog.example.org/audio/counter.mp3", MIME: "audio/mpeg"}}},
		{"feed xml:lang", ps[0].Lang, "ar"},
		{"entry xml:lang", ps[1].Lang, "en"},
		{"updated only: posted, not edited", []time.Time{ps[1].PostedAt, ps[1].EditedAt}, []time.Time{time.Date(2024, 3, 3, 10, 0, 0, 0, time.UTC), {}}},
		{"html summary", ps[1].Text, "A short note."},
		{"link without rel", ps[1].URL, "https://blog.example.org/2024/03/note"},
		{"lines", []int{ps[0].Origin.Line, ps[1].Origin.Line}, []int{9, 20}},
	})
}

func TestRDF(t *testing.T) {
	file := sourcetest.Fixture(t, "rdf.xml")
	ps, rs := decode(t, "rdf.xml", file)
	if len(ps) != 1 || len(rs) != 0 {
		t.Fatalf("posts %d rejections %v", len(ps), rs)
	}
	checkRaw(t, file, ps, "item")
	p := ps[0]
	if p.ID != "https://rdf.example.org/t/1" || p.Channel.Name != "منتدى المثال" || p.Lang != "ar" || p.Author.ID != "عضو" ||
		!p.PostedAt.Equal(time.Date(2024, 3, 1, 7, 0, 0, 0, time.UTC)) || p.Text != "نص الموضوع" {
		t.Errorf("post %+v", p)
	}
}

func TestBroken(t *testing.T) {
	file := sourcetest.Fixture(t, "broken.xml")
	ps, rs := decode(t, "broken.xml", file)
	if len(ps) != 2 {
		t.Fatalf("%d posts, want 2", len(ps))
	}
	if ps[0].Title != "تاريخ غير صالح" || !ps[0].PostedAt.IsZero() || ps[0].ID != post.StableID("تاريخ غير صالح", "الجمعة 1 آذار") {
		t.Errorf("bad-date item: %+v", ps[0])
	}
	if ps[1].Text != "نص بلا عنوان ولا رابط" || ps[1].Channel.ID != "broken.xml" {
		t.Errorf("untitled item: %+v", ps[1])
	}
	want := []struct {
		line   int
		reason string
	}{
		{10, "item has no title, link or description"},
		{18, "invalid XML, rest of file skipped"},
	}
	if len(rs) != len(want) {
		t.Fatalf("rejections %v", rs)
	}
	for i, w := range want {
		if rs[i].Line != w.line || !strings.Contains(rs[i].Reason, w.reason) || rs[i].File != "broken.xml" {
			t.Errorf("rejection %v, want line %d %q", rs[i], w.line, w.reason)
		}
	}
}

func TestCharsets(t *testing.T) {
	const body = `<rss><channel><title>%s</title><item><title>%s</title><link>https://e.example/1</link></item></channel></rss>`
	sjis, err := japanese.ShiftJIS.NewEncoder().String(fmt.Sprintf(`<?xml version="1.0" encoding="Shift_JIS"?>`+body, "日本", "ニュース"))
	if err != nil {
		t.Fatal(err)
	}
	latin := []byte(fmt.Sprintf(`<?xml version='1.0' encoding='ISO-8859-1'?>`+body, "Caf\xe9", "D\xe9j\xe0 vu"))
	tests := []struct {
		name, in, channel, title string
		exact                    bool
	}{
		{"iso-8859-1", string(latin), "Café", "Déjà vu", true},
		{"utf-8 with BOM", "\xef\xbb\xbf" + fmt.Sprintf(body, "قناة", "خبر"), "قناة", "خبر", true},
		{"shift_jis converted whole", sjis, "日本", "ニュース", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, rs := decode(t, "f.xml", []byte(tt.in))
			if len(ps) != 1 || len(rs) != 0 {
				t.Fatalf("posts %d rejections %v", len(ps), rs)
			}
			p := ps[0]
			if p.Channel.Name != tt.channel || p.Title != tt.title {
				t.Errorf("channel %q title %q", p.Channel.Name, p.Title)
			}
			if tt.exact {
				if o := p.Origin.Offset; !strings.HasPrefix(tt.in[o:], string(p.Raw)) {
					t.Errorf("raw %q not at offset %d", p.Raw, o)
				}
			} else if p.Origin.Offset != 0 || !strings.Contains(string(p.Raw), tt.title) {
				t.Errorf("converted: offset %d raw %q", p.Origin.Offset, p.Raw)
			}
		})
	}
}

func TestNotAFeed(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  error
	}{
		{"html", "<!DOCTYPE html><html><body>hi</body></html>", source.ErrFormat},
		{"json", `{"data":[]}`, source.ErrFormat},
		{"empty", "", source.ErrFormat},
		{"unknown charset", `<?xml version="1.0" encoding="x-klingon"?><rss/>`, ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := source.Collect(Decoder{}, source.Input{Name: "f", R: strings.NewReader(tt.in)})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2024, 3, 1, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Fri, 01 Mar 2024 18:04:05 +0300", want},
		{"Fri, 1 Mar 2024 15:04:05 GMT", want},
		{"Fri, 01 Mar 2024 10:04:05 EST", want},
		{"Fri,  01 Mar 2024\n 15:04:05 UT", want},
		{"01 Mar 24 15:04 +0000", want.Truncate(time.Minute)},
		{"Fri, 01 Mar 2024 15:04 GMT", want.Truncate(time.Minute)},
		{"2024-03-01T18:04:05+03:00", want},
		{"2024-03-01T15:04:05.000Z", want},
		{"2024-03-01 15:04:05", want},
		{"2024-03-01", want.Truncate(24 * time.Hour)},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseDate(tt.in); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct {
		name, in, text string
		links          []string
	}{
		{"paragraphs", "<p>أ</p><p>ب<br>ج</p>", "أ\nب\nج", nil},
		{"entities", "a &amp; b &lt;c&gt; &#1575;", "a & b <c> ا", nil},
		{"script dropped", "x<script>var a = '<p>';</script>y<style>p{}</style>", "xy", nil},
		{"comment", "a<!-- <a href='x'> -->b", "ab", nil},
		{"links", `<a class="l" href="https://a.example/x?y=1&amp;z=2">a</a> <A HREF='/rel'>b</A> <a name=n>c</a>`, "a b c", []string{"https://a.example/x?y=1&z=2", "/rel"}},
		{"lone bracket", "3 < 4", "3 < 4", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, links := stripHTML(tt.in)
			if text != tt.text || !slices.Equal(links, tt.links) {
				t.Errorf("got %q %q, want %q %q", text, links, tt.text, tt.links)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"rss", sourcetest.Fixture(t, "arabic_rss_1256.xml"), true},
		{"atom", sourcetest.Fixture(t, "arabic_atom.xml"), true},
		{"rdf", sourcetest.Fixture(t, "rdf.xml"), true},
		{"html", []byte("<html><head><title>x</title></head></html>"), false},
		{"json", []byte(`{"data":{"id":"1","text":"rss"}}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Decoder{}).Sniff("f", tt.head[:min(len(tt.head), 4096)]); got != tt.want {
				t.Errorf("got %v", got)
			}
		})
	}
}

// bigFeed builds an RSS feed of n items in windows-1256.
func bigFeed(tb testing.TB, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="windows-1256"?><rss><channel><title>قناة</title><link>https://e.example/</link>`)
	for i := range n {
		fmt.Fprintf(&b, "\n<item><title>خبر رقم %d</title><link>https://e.example/%d</link><description>&lt;p&gt;نص الخبر %d&lt;/p&gt;</description><pubDate>Fri, 01 Mar 2024 10:30:00 +0300</pubDate></item>", i, i, i)
	}
	b.WriteString("</channel></rss>")
	out, err := charmap.Windows1256.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestBigFeed(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 100
	}
	file := bigFeed(t, n)
	ps, rs := decode(t, "big.xml", file)
	if len(ps) != n || len(rs) != 0 || ps[n-1].Origin.Line != n+1 {
		t.Fatalf("posts %d rejections %d", len(ps), len(rs))
	}
	checkRaw(t, file, ps[n-3:], "item")
}

func FuzzDecode(f *testing.F) {
	sourcetest.AddFixtures(f, "arabic_rss_1256.xml", "arabic_atom.xml", "rdf.xml", "broken.xml")
	// An item over the limit of the second pass, with an end tag in CDATA.
	f.Add([]byte("<rss><channel><item><link>x</link><description><![CDATA[</item>" + strings.Repeat("ب", 40) +
		"]]></description></item>\n<item><link>y</link></item></channel></rss>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, limit := range []int64{0, 64} {
			fuzzFeed(t, b, limit)
		}
	})
}

// fuzzFeed decodes b with the given record limit and checks the posts and
// rejections.
func fuzzFeed(t *testing.T, b []byte, limit int64) {
	ps, rs, err := source.Collect(Decoder{}, source.Input{Name: "fuzz", R: bytes.NewReader(b), MaxRecord: limit})
	if err != nil && !errors.Is(err, source.ErrFormat) && !errors.Is(err, ErrCharset) {
		t.Fatalf("unexpected error %v", err)
	}
	for _, p := range ps {
		if p.ID == "" || len(p.Raw) == 0 {
			t.Fatalf("post without id or raw: %+v", p)
		}
		if o := p.Origin.Offset; o < 0 || int(o)+len(p.Raw) > len(b) {
			t.Fatalf("offset %d and raw of %d bytes outside the %d-byte input", o, len(p.Raw), len(b))
		}
	}
	for _, r := range rs {
		if r.Reason == "" || r.Offset < 0 {
			t.Fatalf("bad rejection %+v", r)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	file := bigFeed(b, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, _, err := source.Collect(Decoder{}, source.Input{Name: "big.xml", R: bytes.NewReader(file)}); err != nil {
			b.Fatal(err)
		}
	}
}
