package telegram

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

func TestFixtures(t *testing.T) {
	tests := []struct {
		name             string
		posts, rejects   int
		channels         []string
		check            func(t *testing.T, byID map[string]post.Post)
		rejectionReasons []string
	}{
		{
			name: "channel", posts: 11, rejects: 4, channels: []string{"1000000001"},
			rejectionReasons: []string{`"id"`, `without "id"`, `"text"`, "not an object"},
			check: func(t *testing.T, byID map[string]post.Post) {
				svc := byID["1"]
				if svc.Kind != post.Service || svc.Text != "create_channel: قناة أنصار الوهم (مثال مختلق للاختبار)" || svc.Author.ID != "channel1000000001" {
					t.Errorf("service message: %+v", svc)
				}
				p2 := byID["2"]
				if !slices.Equal(p2.Hashtags, []string{"باقية_وتتمدد"}) || !slices.Equal(p2.Outlinks, []string{"https://example.invalid/naba-fake"}) {
					t.Errorf("entities of 2: hashtags %q outlinks %q", p2.Hashtags, p2.Outlinks)
				}
				if !strings.HasPrefix(p2.Text, "[نص مختلق للاختبار]") || !strings.HasSuffix(p2.Text, "https://example.invalid/naba-fake") {
					t.Errorf("text of 2 = %q", p2.Text)
				}
				if want := time.Date(2024, 3, 1, 9, 5, 0, 0, time.UTC); !p2.PostedAt.Equal(want) {
					t.Errorf("PostedAt of 2 = %v, want %v", p2.PostedAt, want)
				}
				photo := byID["3"].Media
				if len(photo) != 1 || photo[0].Kind != "photo" || photo[0].Size != 224 || photo[0].Width != 4 ||
					photo[0].Hash("sha256") != "a1e8c6951745aff1a03d9a4484907afd961d5f0a3bfb5949b76e0c1bbe7c5dce" ||
					photo[0].Hash("md5") != "e83d401468f0570c0fb14f2b82992c6d" {
					t.Errorf("photo of 3: %+v", photo)
				}
				if p := byID["4"]; p.ForwardFrom != "وكالة الوهم المختلقة" {
					t.Errorf("ForwardFrom of 4 = %q", p.ForwardFrom)
				}
				if p := byID["5"]; p.ReplyTo != "3" {
					t.Errorf("ReplyTo of 5 = %q", p.ReplyTo)
				}
				if p := byID["6"]; !p.EditedAt.Equal(time.Date(2024, 3, 1, 12, 10, 0, 0, time.UTC)) {
					t.Errorf("EditedAt of 6 = %v", p.EditedAt)
				}
				video := byID["7"].Media
				if len(video) != 2 || video[0].Kind != "video" || video[0].MIME != "video/mp4" || video[0].Size != 1508 ||
					video[0].Hash("sha256") != "1fbaf24a6b185a790d5ca5f0e1e6c1a3ce573948bab4139cb12a1d35eb9e44c5" ||
					video[1].Kind != "thumbnail" || video[1].Hash("sha256") != "" || video[1].Size != 300 || video[1].Path == "" {
					t.Errorf("media of 7: %+v", video)
				}
				if m := byID["8"].Media; len(m) != 1 || !m[0].Omitted || m[0].Path != "" || m[0].Kind != "audio" {
					t.Errorf("omitted voice of 8: %+v", m)
				}
				p11 := byID["11"]
				if p11.Author.ID != "channel1000000001" || p11.Author.DisplayName == "" {
					t.Errorf("author of unsigned channel post 11: %+v", p11.Author)
				}
				if !slices.Equal(p11.Mentions, []string{"fake_supporter_bot", "user555000111"}) || !slices.Equal(p11.Outlinks, []string{"https://example.invalid/contact"}) {
					t.Errorf("entities of 11: mentions %q outlinks %q", p11.Mentions, p11.Outlinks)
				}
				if p := byID["14"]; p.Text != "[سؤال مختلق] ما رأيكم؟\nنعم\nلا" {
					t.Errorf("poll text of 14 = %q", p.Text)
				}
				if m := byID["15"].Media; len(m) != 1 || m[0].Hash("sha256") != "" || m[0].Path != "../../../../etc/hostname" {
					t.Errorf("media outside the export folder was opened: %+v", m)
				}
			},
		},
		{
			name: "news", posts: 3, channels: []string{"1000000003"},
			check: func(t *testing.T, byID map[string]post.Post) {
				if p := byID["101"]; !slices.Equal(p.Hashtags, []string{"عاجل"}) || p.Channel.Kind != "public_channel" || p.URL != "" {
					t.Errorf("101: %+v", p)
				}
				if p := byID["103"]; p.ReplyTo != "101" {
					t.Errorf("ReplyTo of 103 = %q", p.ReplyTo)
				}
			},
		},
		{
			name: "account", posts: 5, channels: []string{"300000002", "1500000001", "1600000001"},
			check: func(t *testing.T, byID map[string]post.Post) {
				if p := byID["10"]; p.Kind != post.Service || p.Text != "invite_members: صديق مختلق" || p.Channel.Kind != "private_supergroup" {
					t.Errorf("service 10: %+v", p)
				}
				if p := byID["7"]; p.Channel.Name != "مجموعة عامة مختلقة" || p.Channel.Kind != "public_supergroup" {
					t.Errorf("left chat post 7: %+v", p.Channel)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, rs, data := sourcetest.DecodeFile(t, Decoder{}, filepath.Join("testdata", tt.name, "result.json"))
			if len(ps) != tt.posts || len(rs) != tt.rejects {
				t.Fatalf("got %d posts and %d rejections %v, want %d and %d", len(ps), len(rs), rs, tt.posts, tt.rejects)
			}
			for i, want := range tt.rejectionReasons {
				if !strings.Contains(rs[i].Reason, want) || rs[i].Offset <= 0 {
					t.Errorf("rejection %d = %v, want a reason naming %s and an offset", i, rs[i], want)
				}
			}
			var channels []string
			for _, p := range ps {
				if p.Platform != post.Telegram || p.Origin.Format != Name || p.Norm != "" || !p.CollectedAt.IsZero() {
					t.Errorf("post %s: platform %q format %q norm %q collected %v", p.ID, p.Platform, p.Origin.Format, p.Norm, p.CollectedAt)
				}
				if !slices.Contains(channels, p.Channel.ID) {
					channels = append(channels, p.Channel.ID)
				}
			}
			if !slices.Equal(channels, tt.channels) {
				t.Errorf("channels %v, want %v", channels, tt.channels)
			}
			sourcetest.CheckRaw(t, data, ps)
			tt.check(t, sourcetest.ByID(ps))
			sourcetest.GoldenPosts(t, filepath.Join("testdata", tt.name+".golden.json"), ps, rs)
		})
	}
}

// TestSharedExport reads the real personal-chat export of chat-analytics.
func TestSharedExport(t *testing.T) {
	ps, rs, data := sourcetest.DecodeShared(t, Decoder{}, "chat-exports-chat-analytics", "DM_2A_7M.json")
	if !(Decoder{}).Sniff("DM_2A_7M.json", data[:min(len(data), 4096)]) {
		t.Error("Sniff does not recognize the export")
	}
	if len(ps) != 8 || len(rs) != 0 {
		t.Fatalf("got %d posts, %d rejections %v; want 8 and 0", len(ps), len(rs), rs)
	}
	sourcetest.CheckRaw(t, data, ps)
	tests := []struct {
		i        int
		id       string
		kind     post.Kind
		text     string
		author   string
		posted   time.Time
		outlinks []string
		omitted  bool
	}{
		{0, "2675", post.Service, "joined_telegram", "user700000000", time.Date(2019, 7, 5, 16, 55, 32, 0, time.UTC), nil, false},
		{1, "3644", post.Message, "https://google.com 👀", "user700000000", time.Date(2019, 7, 12, 16, 55, 32, 0, time.UTC), []string{"https://google.com"}, false},
		{2, "3645", post.Message, "hello world", "user300000000", time.Date(2022, 3, 8, 13, 7, 42, 0, time.UTC), nil, false},
		{3, "3662", post.Message, "world?", "user700000000", time.Unix(1652135033, 0), nil, false},
		{5, "3672", post.Message, "", "user300000000", time.Unix(1654898798, 0), nil, true},
		{7, "3674", post.Service, "phone_call", "user300000000", time.Unix(1691719862, 0), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := ps[tt.i]
			if p.ID != tt.id || p.Kind != tt.kind || p.Text != tt.text || p.Author.ID != tt.author || !p.PostedAt.Equal(tt.posted) || !slices.Equal(p.Outlinks, tt.outlinks) {
				t.Errorf("got id %s kind %s text %q author %s posted %v outlinks %q", p.ID, p.Kind, p.Text, p.Author.ID, p.PostedAt, p.Outlinks)
			}
			if p.Channel != (post.Channel{Platform: post.Telegram, ID: "700000000", Name: "Bob", Kind: "personal_chat"}) {
				t.Errorf("channel %+v", p.Channel)
			}
			if tt.omitted && (len(p.Media) != 1 || !p.Media[0].Omitted || p.Media[0].Width != 960 || p.Media[0].Height != 1280) {
				t.Errorf("media %+v, want one omitted 960x1280 photo", p.Media)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	channel := sourcetest.Fixture(t, "channel/result.json")
	account := sourcetest.Fixture(t, "account/result.json")
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"channel export head", channel[:300], true},
		{"account export head", account[:200], true},
		{"account without personal information", []byte(`{"about":"x","chats":{"list":[]}}`), true},
		{"unknown chat type", []byte(`{"name":"x","type":"tweet","id":1}`), false},
		{"rocket.chat history", []byte(`{"messages":[{"_id":"a","rid":"b","msg":"hi"}],"success":true}`), false},
		{"array", []byte(`[{"type":"personal_chat"}]`), false},
		{"whatsapp text", []byte("12/01/2024, 10:00 - Ali: hi"), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Decoder{}).Sniff("result.json", tt.head); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	sourcetest.RunDecodeCases(t, Decoder{}, "in.json", []sourcetest.DecodeCase{
		{Name: "empty", In: ``, WantFormat: true},
		{Name: "array", In: `[{"id":1}]`, WantFormat: true},
		{Name: "no messages", In: `{"name":"x","type":"personal_chat","id":1}`, WantFormat: true},
		{Name: "messages before id", In: `{"messages":[{"id":1,"text":"x"}],"id":1}`, WantFormat: true},
		{Name: "rocket.chat", In: `{"messages":[{"_id":"a","rid":"b"}],"success":true}`, WantFormat: true},
		{Name: "not JSON", In: `name: x`, WantFormat: true},
		{Name: "messages not an array", In: `{"id":1,"messages":{}}`, Reason: "invalid JSON"},
		{Name: "truncated after a message", In: `{"id":1,"messages":[{"id":1,"text":"a"},{"id":2,"te`, Posts: 1, Reason: "invalid JSON"},
		{Name: "account chat without id", In: `{"chats":{"list":[{"id":1,"messages":[{"id":1}]},{"name":"x","messages":[{"id":2}]},{"id":3,"messages":[{"id":3}]}]}}`, Posts: 2, Reason: "without \"id\""},
		{Name: "bad unix time", In: `{"id":1,"messages":[{"id":1,"date_unixtime":"soon"}]}`, Reason: "date"},
		{Name: "bad date", In: `{"id":1,"messages":[{"id":1,"date":"yesterday"}]}`, Reason: "date"},
		{Name: "bad text item", In: `{"id":1,"messages":[{"id":1,"text":["a",1]}]}`, Reason: "text"},
		{Name: "fractional from_id", In: `{"id":1,"messages":[{"id":1,"from_id":1.5}]}`, Reason: "from_id"},
	})
}

// TestSinkError checks that an error from the sink stops the decoder.
func TestSinkError(t *testing.T) {
	sourcetest.SinkErrorStops(t, Decoder{}, "in.json", `{"id":1,"messages":[{"id":1},{"id":2}]}`)
}

// syntheticExport writes a public channel export of n messages.
func syntheticExport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"name":"قناة","type":"public_channel","id":1,"messages":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"type":"message","date":"2024-03-01T09:05:00","date_unixtime":"1709283900","from":"قناة","from_id":"channel1",`+
			`"text":["نص تجريبي رقم %d ",{"type":"hashtag","text":"#وسم"}],"text_entities":[{"type":"plain","text":"نص تجريبي"},{"type":"hashtag","text":"#وسم"}]}`, i+1, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	sourcetest.BenchDecode(b, Decoder{}, "bench.json", syntheticExport(10000), 10000)
}

func FuzzDecode(f *testing.F) {
	sourcetest.AddFixtures(f, "channel/result.json", "news/result.json", "account/result.json")
	f.Add([]byte(`{"id":1,"messages":[{"id":1,"text":[{"type":"mention_name","user_id":"x"}],"photo":"a.jpg"}]}`))
	f.Add([]byte(`{"chats":{"list":[{"id":1,"messages":[{"id":-1,"type":"service"}]}]}}`))
	f.Add(syntheticExport(3))
	// A message over the record limit of the second pass, between two.
	f.Add([]byte(`{"id":1,"messages":[{"id":1,"text":"a"},{"id":2,"text":"` + strings.Repeat("ب", 40) + `"},{"id":3,"text":"c"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, limit := range []int64{0, 64} {
			in := source.Input{
				Name:      "fuzz.json",
				R:         bytes.NewReader(data),
				Open:      func(string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("media")), nil },
				MaxRecord: limit,
			}
			_ = Decoder{}.Decode(in, source.SinkFuncs{OnPost: func(p post.Post) error {
				if p.ID == "" {
					t.Errorf("post without id from %q", data)
				}
				return nil
			}})
		}
		Decoder{}.Sniff("fuzz.json", data)
	})
}
