package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

// TestSharedData checks the counts against the real API captures. The
// expected numbers were obtained with python3 (json module): for every line
// (every file for the tweepy *_0.json), the tweets in data (objects with
// "text") plus the includes.tweets whose id is not already in that record,
// i.e. len({t["id"] for t in data+includes.tweets}) summed over lines;
// "joined" counts those whose author_id is in includes.users (or, for
// users.jsonl, in the data users); "withheld" those with withheld.country_codes.
func TestSharedData(t *testing.T) {
	tests := []struct {
		dir, file       string
		posts, joined   int
		withheld        int
		rejects         int
		rejectSubstring string
	}{
		{"x-api-v2-twarc", "two_tweets.jsonl", 2, 2, 0, 0, ""},
		{"x-api-v2-twarc", "media_tweet.jsonl", 1, 1, 0, 0, ""},
		{"x-api-v2-twarc", "edited.jsonl", 2, 2, 0, 0, ""},
		{"x-api-v2-twarc", "quoted_edit.jsonl", 3, 3, 0, 0, ""},
		{"x-api-v2-twarc", "geo_tweets.jsonl", 3, 3, 0, 0, ""},
		{"x-api-v2-twarc", "brexit.jsonl", 155, 155, 0, 0, ""},
		// kpop's page carries "errors" about suspended mentions; they do not
		// reject the page.
		{"x-api-v2-twarc", "kpop.jsonl", 121, 121, 0, 0, ""},
		{"x-api-v2-twarc", "withheld.jsonl", 284, 277, 14, 0, ""},
		// Line 8 is a stream line cut off mid-object by a disconnect.
		{"x-api-v2-twarc", "streaming_output_with_error.jsonl", 11, 11, 0, 1, "invalid JSON"},
		// 96 users in data (one rejection for the line) and their 52 pinned tweets.
		{"x-api-v2-twarc", "users.jsonl", 52, 52, 0, 1, "user object, not a tweet (96 in this record)"},
		{"x-api-v2-twarc", "counts.jsonl", 0, 0, 0, 1, "tweet count, not a tweet (169 in this record)"},
		{"x-api-v2-tweepy-cassettes", "test_client_get_tweet_0.json", 1, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_get_tweets_0.json", 2, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_get_quote_tweets_0.json", 9, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_get_users_tweets_0.json", 2, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_search_all_tweets_0.json", 10, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_search_recent_tweets_0.json", 10, 0, 0, 0, ""},
		{"x-api-v2-tweepy-cassettes", "test_client_get_user_0.json", 0, 0, 0, 1, "user object, not a tweet (1 in this record)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ps, rs, _ := sourcetest.DecodeShared(t, Decoder{}, tt.dir, tt.file)
			var joined, withheld int
			for _, p := range ps {
				if p.Author.Handle != "" {
					joined++
				}
				if len(p.Withheld) > 0 {
					withheld++
				}
				if p.ID == "" || len(p.Raw) == 0 || p.Origin.Format != "xapi" || p.Origin.Line == 0 || p.Channel != timeline {
					t.Errorf("post %q: incomplete: origin %+v channel %+v raw %d bytes", p.ID, p.Origin, p.Channel, len(p.Raw))
				}
			}
			if len(ps) != tt.posts || joined != tt.joined || withheld != tt.withheld {
				t.Errorf("posts %d joined %d withheld %d, want %d %d %d", len(ps), joined, withheld, tt.posts, tt.joined, tt.withheld)
			}
			if len(rs) != tt.rejects {
				t.Fatalf("rejections %v, want %d", rs, tt.rejects)
			}
			if tt.rejects > 0 && !strings.Contains(rs[0].Reason, tt.rejectSubstring) {
				t.Errorf("rejection %q, want it to contain %q", rs[0].Reason, tt.rejectSubstring)
			}
		})
	}
}

// TestSharedDataFields spot-checks joins against values read off the files.
func TestSharedDataFields(t *testing.T) {
	t.Run("edited", func(t *testing.T) {
		ps, _, _ := sourcetest.DecodeShared(t, Decoder{}, "x-api-v2-twarc", "edited.jsonl")
		m := sourcetest.ByID(ps)
		latest, first := m["1576994789110992896"], m["1576994746135764992"]
		if !slices.Equal(latest.EditIDs, []string{"1576994746135764992"}) || len(first.EditIDs) != 0 {
			t.Errorf("edit ids: latest %v, first %v", latest.EditIDs, first.EditIDs)
		}
		if latest.Lang != "und" || latest.Author.Handle != "wongmjane" || !latest.Author.Verified || latest.Author.Followers != 138097 ||
			latest.Author.AvatarURL != "https://pbs.twimg.com/profile_images/1537723907557720064/yZVHXu3C_normal.jpg" {
			t.Errorf("latest: lang %q author %+v", latest.Lang, latest.Author)
		}
		if latest.URL != "https://x.com/wongmjane/status/1576994789110992896" {
			t.Errorf("url %q", latest.URL)
		}
		if !latest.PostedAt.Equal(time.Date(2022, 10, 3, 17, 57, 11, 0, time.UTC)) {
			t.Errorf("posted %v", latest.PostedAt)
		}
	})
	t.Run("quoted_edit", func(t *testing.T) {
		ps, _, _ := sourcetest.DecodeShared(t, Decoder{}, "x-api-v2-twarc", "quoted_edit.jsonl")
		p := sourcetest.ByID(ps)["1576995594388000768"]
		if p.QuoteOf != "1576994746135764992" || p.ReplyTo != "1576994789110992896" || !slices.Equal(p.Mentions, []string{"wongmjane"}) {
			t.Errorf("quote %q reply %q mentions %v", p.QuoteOf, p.ReplyTo, p.Mentions)
		}
	})
	t.Run("withheld", func(t *testing.T) {
		ps, _, _ := sourcetest.DecodeShared(t, Decoder{}, "x-api-v2-twarc", "withheld.jsonl")
		p := sourcetest.ByID(ps)["1388424788171841537"]
		if !slices.Equal(p.Withheld, []string{"IN"}) || p.Author.Handle != "manavjivan" || !slices.Equal(p.Author.Withheld, []string{"IN"}) {
			t.Errorf("withheld %v author %+v", p.Withheld, p.Author)
		}
	})
	t.Run("media", func(t *testing.T) {
		ps, _, _ := sourcetest.DecodeShared(t, Decoder{}, "x-api-v2-twarc", "media_tweet.jsonl")
		want := post.Media{Kind: "video", ID: "7_1558552952549277696", URL: "https://pbs.twimg.com/ext_tw_video_thumb/1558552952549277696/pu/img/7VaQu-AvReI8RHkv.jpg", Width: 1280, Height: 720}
		if len(ps) != 1 || len(ps[0].Media) != 1 || !reflect.DeepEqual(ps[0].Media[0], want) {
			t.Fatalf("media %+v", ps)
		}
	})
	t.Run("raw is verbatim", func(t *testing.T) {
		ps, _, b := sourcetest.DecodeShared(t, Decoder{}, "x-api-v2-twarc", "brexit.jsonl")
		for _, p := range ps {
			if !bytes.Contains(b, p.Raw) {
				t.Fatalf("raw of %s is not a substring of the file", p.ID)
			}
		}
	})
}

func TestArabicPage(t *testing.T) {
	ps, rs, _ := sourcetest.DecodeFile(t, Decoder{}, filepath.Join("testdata", "arabic_page.jsonl"))
	if got := len(ps); got != 4 {
		t.Fatalf("%d posts, want 4", got)
	}
	wantRej := []struct {
		line   int
		reason string
	}{
		{2, "invalid JSON"},
		{3, "API error: Not Found Error: Could not find tweet"},
		{6, "API error: operational-disconnect: This stream has been disconnected"},
	}
	if len(rs) != len(wantRej) {
		t.Fatalf("rejections %v", rs)
	}
	for i, w := range wantRej {
		if rs[i].Line != w.line || !strings.Contains(rs[i].Reason, w.reason) {
			t.Errorf("rejection %d: %v, want line %d %q", i, rs[i], w.line, w.reason)
		}
	}
	m := sourcetest.ByID(ps)
	tests := []struct {
		name  string
		id    string
		check func(p post.Post) bool
	}{
		{"retweet", "1700000000000000002", func(p post.Post) bool {
			return p.RepostOf == "1700000000000000001" && p.Author.Handle == "qari_example" && slices.Equal(p.Author.Withheld, []string{"TR"}) && p.Origin.Line == 1
		}},
		{"quote deduplicated with includes", "1700000000000000003", func(p post.Post) bool {
			return p.QuoteOf == "1700000000000000001" && slices.Equal(p.Hashtags, []string{"الموصل"}) &&
				slices.Equal(p.Outlinks, []string{"https://news.example.org/mosul"}) && slices.Equal(p.Withheld, []string{"DE", "FR"}) &&
				len(p.Media) == 1 && p.Media[0].URL == "https://pbs.twimg.com/media/EXAMPLE2.jpg" && p.Media[0].Width == 1200 &&
				p.PostedAt.Equal(time.Date(2023, 9, 1, 8, 10, 0, 0, time.UTC))
		}},
		{"included original", "1700000000000000001", func(p post.Post) bool {
			return p.Author.DisplayName == "أخبار المثال" && p.Author.Followers == 1200 && p.Lang == "ar" &&
				p.URL == "https://x.com/akhbar_example/status/1700000000000000001"
		}},
		{"stream line, unknown author", "1700000000000000005", func(p post.Post) bool {
			return p.Author.ID == "1450000000000000099" && p.Author.Handle == "" && p.URL == "https://x.com/i/status/1700000000000000005" &&
				slices.Equal(p.EditIDs, []string{"1700000000000000004"}) && p.Lang == "und" && p.Origin.Line == 5 && p.Text == "مساء الخير"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := m[tt.id]
			if !ok {
				t.Fatalf("no post %s", tt.id)
			}
			if !tt.check(p) {
				t.Errorf("unexpected post: %+v", p)
			}
		})
	}
}

func TestPrettyPrinted(t *testing.T) {
	ps, rs, _ := sourcetest.DecodeFile(t, Decoder{}, filepath.Join("testdata", "pretty_page.json"))
	if len(ps) != 2 || len(rs) != 0 {
		t.Fatalf("posts %d rejections %v", len(ps), rs)
	}
	if ps[0].Origin.Line != 2 || ps[0].Author.Handle != "akhbar_example" || ps[1].Origin.Line != 17 || ps[1].ID != "1700000000000000102" {
		t.Errorf("posts: %+v %+v", ps[0].Origin, ps[1].Origin)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantFormat bool
		posts      int
		rejects    int
	}{
		{"empty", "", false, 0, 0},
		{"blank lines", "\n\n  \n", false, 0, 0},
		{"not json", "hello\n", true, 0, 0},
		{"bare tweet lines", `{"id":"1","text":"a"}` + "\n" + `{"id":"2","text":"b"}`, false, 2, 0},
		{"array of tweets", "[\n" + `{"id":"1","text":"a"},` + "\n" + `{"id":"2","text":"b"}` + "\n]", false, 2, 0},
		{"pretty then garbage", "{\n\"id\":\"1\",\n\"text\":\"a\"}\n{oops", false, 1, 1},
		{"jsonl array line", `[{"id":"1","text":"a"},{"id":"2","text":"b"}]` + "\n" + `[{"id":"3","text":"c"}, 5]`, false, 3, 1},
		{"scalar value", "{\n\"id\":\"1\",\n\"text\":\"a\"}\n5", false, 1, 1},
		{"no tweets", `{"meta":{"result_count":0}}`, false, 0, 1},
		{"null data", `{"data":null}`, false, 0, 1},
		{"tweet without text", `{"data":[{"id":"1"}]}`, false, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, rs, err := source.Collect(Decoder{}, source.Input{Name: "x.jsonl", R: strings.NewReader(tt.in)})
			if errors.Is(err, source.ErrFormat) != tt.wantFormat {
				t.Fatalf("err %v, want ErrFormat %v", err, tt.wantFormat)
			}
			if len(ps) != tt.posts || len(rs) != tt.rejects {
				t.Errorf("posts %d rejections %v, want %d %d", len(ps), rs, tt.posts, tt.rejects)
			}
		})
	}
}

func TestSinkErrorStops(t *testing.T) {
	sourcetest.SinkErrorStops(t, Decoder{}, "x", `{"id":"1","text":"a"}`+"\n"+`{"id":"2","text":"b"}`)
}

func TestLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5 MB line")
	}
	text := strings.Repeat("ب", 2<<20) // 4 MiB of UTF-8
	in := `{"data":{"id":"1","text":"` + text + `"}}` + "\n" + `{"id":"2","text":"b"}`
	ps, rs, err := source.Collect(Decoder{}, source.Input{Name: "x", R: strings.NewReader(in)})
	if err != nil || len(rs) != 0 || len(ps) != 2 || ps[0].Text != text || ps[1].Origin.Line != 2 || ps[1].Origin.Offset != int64(len(in)-len(`{"id":"2","text":"b"}`)) {
		t.Fatalf("err %v rejections %v posts %d", err, rs, len(ps))
	}
}

func TestArchive(t *testing.T) {
	ps, rs, _ := sourcetest.DecodeFile(t, ArchiveDecoder{}, filepath.Join("testdata", "archive", "tweets.js"))
	if len(ps) != 3 || len(rs) != 1 || !strings.Contains(rs[0].Reason, "without id_str") {
		t.Fatalf("posts %d rejections %v", len(ps), rs)
	}
	author := post.Account{Platform: post.X, ID: "1450000000000000001", Handle: "akhbar_example", DisplayName: "أخبار المثال",
		CreatedAt: time.Date(2021, 10, 18, 9, 0, 0, 0, time.UTC)}
	tests := []struct {
		name  string
		p     post.Post
		check func(p post.Post) bool
	}{
		{"first", ps[0], func(p post.Post) bool {
			return p.ID == "1600000000000000001" && p.Origin.Line == 2 && p.Lang == "ar" &&
				p.PostedAt.Equal(time.Date(2022, 12, 6, 12, 0, 0, 0, time.UTC)) &&
				slices.Equal(p.Hashtags, []string{"العراق"}) && slices.Equal(p.Mentions, []string{"wakala_example"}) &&
				slices.Equal(p.Outlinks, []string{"https://news.example.org/2022/12/06/report"}) && len(p.EditIDs) == 0 &&
				p.URL == "https://x.com/akhbar_example/status/1600000000000000001" && bytes.HasPrefix(p.Raw, []byte(`{
      "edit_info"`))
		}},
		{"edited reply with media", ps[1], func(p post.Post) bool {
			return p.ReplyTo == "1600000000000000001" && slices.Equal(p.EditIDs, []string{"1600000000000000010"}) &&
				len(p.Media) == 2 && p.Media[1].Kind == "animation" && p.Media[0].ID == "1600000000000000099" && p.Origin.Line == 32
		}},
		{"bad date", ps[2], func(p post.Post) bool {
			return p.PostedAt.IsZero() && p.Lang == "und" && p.Text == "😊"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.Author.ID != author.ID || tt.p.Author.Handle != author.Handle || tt.p.Author.DisplayName != author.DisplayName || !tt.p.Author.CreatedAt.Equal(author.CreatedAt) {
				t.Errorf("author %+v", tt.p.Author)
			}
			if !tt.check(tt.p) {
				t.Errorf("unexpected post: %+v", tt.p)
			}
		})
	}
}

func TestArchiveWithoutAccount(t *testing.T) {
	b := sourcetest.Fixture(t, "archive/tweets.js")
	ps, _, err := source.Collect(ArchiveDecoder{}, source.Input{Name: "tweets.js", R: bytes.NewReader(b)})
	if err != nil || len(ps) != 3 || ps[0].Author.ID != "" || ps[0].URL != "https://x.com/i/status/1600000000000000001" {
		t.Fatalf("err %v posts %+v", err, ps)
	}
	_, _, err = source.Collect(ArchiveDecoder{}, source.Input{Name: "a.txt", R: strings.NewReader("var x = [1]")})
	if !errors.Is(err, source.ErrFormat) {
		t.Errorf("err %v, want ErrFormat", err)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name       string
		head       []byte
		v2, archiv bool
	}{
		{"v2 page", sourcetest.Fixture(t, "arabic_page.jsonl"), true, false},
		{"pretty", sourcetest.Fixture(t, "pretty_page.json"), true, false},
		{"archive", sourcetest.Fixture(t, "archive/tweets.js"), false, true},
		{"account.js", sourcetest.Fixture(t, "archive/account.js"), false, false},
		{"telegram export", []byte(`{"name": "قناة", "type": "public_channel", "id": 1, "messages": []}`), false, false},
		{"rss", []byte(`<?xml version="1.0"?><rss>`), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := tt.head[:min(len(tt.head), 4096)]
			if got := (Decoder{}).Sniff("f", head); got != tt.v2 {
				t.Errorf("xapi sniff %v", got)
			}
			if got := (ArchiveDecoder{}).Sniff("f", head); got != tt.archiv {
				t.Errorf("xarchive sniff %v", got)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	sourcetest.AddFixtures(f, "arabic_page.jsonl", "pretty_page.json", "archive/tweets.js")
	// Records over the limit of the second pass: a line, a value, a tweet;
	// and text with X's entities.
	long := strings.Repeat("ب", 40)
	f.Add([]byte(`{"id":"1","text":"a &amp; b"}` + "\n" + `{"id":"2","text":"` + long + `"}` + "\n" + `{"id":"3","text":"c"}`))
	f.Add([]byte("{\n \"id\": \"1\",\n \"text\": \"" + long + "\"\n}\n{\"id\": \"2\", \"text\": \"b\"}\n"))
	f.Add([]byte(`window.YTD.tweets.part0 = [{"tweet":{"id_str":"1","full_text":"` + long + `"}},{"tweet":{"id_str":"2","full_text":"&lt;b&gt;"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tc := range []struct {
			d     source.Decoder
			limit int64
		}{{Decoder{}, 0}, {ArchiveDecoder{}, 0}, {Decoder{}, 64}, {ArchiveDecoder{}, 64}} {
			d := tc.d
			ps, rs, err := source.Collect(d, source.Input{Name: "fuzz", R: bytes.NewReader(b), MaxRecord: tc.limit})
			if err != nil && !errors.Is(err, source.ErrFormat) {
				t.Fatalf("%s: unexpected error %v", d.Name(), err)
			}
			for _, p := range ps {
				if p.ID == "" || len(p.Raw) == 0 {
					t.Fatalf("%s: post without id or raw: %+v", d.Name(), p)
				}
			}
			for _, r := range rs {
				if r.Reason == "" || r.Line < 0 || r.Offset < 0 {
					t.Fatalf("%s: bad rejection %+v", d.Name(), r)
				}
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	path := shareddata.Need(b, "x-api-v2-twarc", "withheld.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := source.Collect(Decoder{}, source.Input{Name: path, R: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEntitiesUnescaped checks that the &amp;, &lt; and &gt; X writes in
// tweet text are undone once, in the text only: Raw stays X's bytes.
func TestEntitiesUnescaped(t *testing.T) {
	in := `{"data":{"id":"1","text":"خبر &amp; تعليق &lt;3 &gt; كتب &amp;lt; حرفيا"}}`
	ps, _ := sourcetest.Decode(t, Decoder{}, source.Input{Name: "x.jsonl", R: strings.NewReader(in)})
	if len(ps) != 1 || ps[0].Text != "خبر & تعليق <3 > كتب &lt; حرفيا" || !bytes.Contains(ps[0].Raw, []byte("&amp; تعليق")) {
		t.Errorf("posts %+v", ps)
	}
	arch := `window.YTD.tweets.part0 = [{"tweet":{"id_str":"2","full_text":"أ &amp; ب"}}]`
	ps, _ = sourcetest.Decode(t, ArchiveDecoder{}, source.Input{Name: "tweets.js", R: strings.NewReader(arch)})
	if len(ps) != 1 || ps[0].Text != "أ & ب" {
		t.Errorf("archive posts %+v", ps)
	}
}

// TestSharedDataEntities checks the shared X data, where 37 of the posts
// carry entities in their text.
func TestSharedDataEntities(t *testing.T) {
	dir := shareddata.Need(t, "x-api-v2-twarc")
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	escaped := 0
	for _, f := range files {
		ps, _, _ := sourcetest.DecodeFile(t, Decoder{}, f)
		for _, p := range ps {
			var raw struct {
				Text      string `json:"text"`
				NoteTweet struct {
					Text string `json:"text"`
				} `json:"note_tweet"`
			}
			json.Unmarshal(p.Raw, &raw)
			if strings.Contains(raw.Text+raw.NoteTweet.Text, "&amp;") || strings.Contains(raw.Text+raw.NoteTweet.Text, "&lt;") || strings.Contains(raw.Text+raw.NoteTweet.Text, "&gt;") {
				escaped++
			}
			if unescape(p.Text) != p.Text && !strings.Contains(raw.Text+raw.NoteTweet.Text, "&amp;amp;") {
				t.Errorf("%s: post %s keeps entities: %q", filepath.Base(f), p.ID, p.Text)
			}
		}
	}
	if escaped == 0 {
		t.Error("no post of the shared data carries entities; the test checks nothing")
	}
	t.Logf("%d posts had entities in their text", escaped)
}
