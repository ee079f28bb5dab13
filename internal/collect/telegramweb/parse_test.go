package telegramweb

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/raqib-project/raqib/internal/post"
)

func TestParse(t *testing.T) {
	b, err := os.ReadFile("testdata/channel.html")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := Parse(bytes.NewReader(b), "fake_test_channel", "https://t.me/s/fake_test_channel")
	if err != nil {
		t.Fatal(err)
	}
	if a := pg.Posts[0].Author; a.AvatarURL != "https://cdn.example.invalid/file/channel_photo.jpg" {
		t.Errorf("author %+v: want the channel's picture as its avatar", a)
	}
	if pg.Title != "قناة الاختبار المختلقة" || pg.Before != 120 {
		t.Errorf("title %q before %d", pg.Title, pg.Before)
	}
	if len(pg.Rejected) != 1 || !strings.Contains(pg.Rejected[0].Reason, `"fake_test_channel/abc"`) {
		t.Errorf("rejected = %+v, want the message with a broken id", pg.Rejected)
	}
	byID := map[string]post.Post{}
	for _, p := range pg.Posts {
		byID[p.ID] = p
	}
	if got := len(pg.Posts); got != 4 {
		t.Fatalf("%d posts, want 4", got)
	}
	p := byID["120"]
	if p.Text != "نص تجريبي أول\nسطر ثان مع #وسم_تجريبي ورابط example.invalid/article" || p.Views != 1200 ||
		!p.PostedAt.Equal(time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)) || p.URL != "https://t.me/fake_test_channel/120" {
		t.Errorf("120 = %q views %d at %v url %s", p.Text, p.Views, p.PostedAt, p.URL)
	}
	if !slices.Equal(p.Hashtags, []string{"وسم_تجريبي"}) || !slices.Equal(p.Outlinks, []string{"https://example.invalid/article"}) {
		t.Errorf("120 hashtags %q outlinks %q", p.Hashtags, p.Outlinks)
	}
	if p.Channel.ID != "fake_test_channel" || p.Channel.Platform != post.Telegram || !bytes.Contains(p.Raw, []byte(`data-post="fake_test_channel/120"`)) {
		t.Errorf("120 channel %+v raw %.80s", p.Channel, p.Raw)
	}
	p = byID["121"]
	if p.ForwardFrom != "invented_source_chan" || !pg.Edited["121"] || pg.Edited["120"] || p.Views != 845 {
		t.Errorf("121 forward %q edited %v views %d", p.ForwardFrom, pg.Edited, p.Views)
	}
	if len(p.Media) != 1 || p.Media[0].Kind != "photo" || p.Media[0].URL != "https://cdn.example.invalid/file/photo121.jpg" {
		t.Errorf("121 media %+v", p.Media)
	}
	if !slices.Equal(p.Mentions, []string{"another_fake_chan"}) || !slices.Equal(p.Outlinks, []string{"https://t.me/+AbCdEfGhIjKl012"}) {
		t.Errorf("121 mentions %q outlinks %q", p.Mentions, p.Outlinks)
	}
	p = byID["122"]
	if p.ReplyTo != "120" || p.Views != 2500000 || len(p.Media) != 1 || p.Media[0].Kind != "video" || p.Media[0].URL != "https://cdn.example.invalid/file/video122.mp4" {
		t.Errorf("122 reply %q views %d media %+v", p.ReplyTo, p.Views, p.Media)
	}
	if !strings.HasPrefix(p.Text, "رد مع مقطع مرئي") {
		t.Errorf("122 text %q: the replied-to quote must not be part of it", p.Text)
	}
	p = byID["123"]
	if len(p.Media) != 1 || p.Media[0].Kind != "file" || p.Media[0].ID != "ملف-تجريبي.pdf" {
		t.Errorf("123 media %+v", p.Media)
	}
}

func TestParseNotAPreview(t *testing.T) {
	for _, page := range []string{"", "<html><body><h1>Not found</h1></body></html>", `{"json":true}`} {
		if _, err := Parse(strings.NewReader(page), "x_chan", "u"); err == nil {
			t.Errorf("%q parsed as a channel preview", page)
		}
	}
}

func TestViews(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "17": 17, "1.2K": 1200, "2.5M": 2500000, "x": 0, "-3": 0} {
		if got := views(in); got != want {
			t.Errorf("views(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzParse feeds the parser hostile pages: it must not panic, every post
// it returns must belong to the channel with a numeric id and valid UTF-8
// text, and raw must be kept.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/channel.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<div class="tgme_channel_history"><div class="tgme_widget_message" data-post="fake_test_channel/1"><div class="tgme_widget_message_text">x<br><br>y</div></div></div>`))
	f.Add([]byte(`<div class="tgme_widget_message" data-post="/"></div><div class="tgme_widget_message" data-post="other/5"></div>`))
	f.Add([]byte(`<a class="tgme_widget_message_photo_wrap" style="background-image:url(')"></a><span class="tgme_widget_message_views">9e999K</span>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		pg, err := Parse(bytes.NewReader(page), "fake_test_channel", "fuzz")
		if err != nil {
			return
		}
		for _, p := range pg.Posts {
			if p.Channel.ID != "fake_test_channel" || p.ID == "" || strings.Trim(p.ID, "0123456789") != "" || len(p.Raw) == 0 {
				t.Fatalf("bad post %+v", p)
			}
			if !utf8.ValidString(p.Text) && utf8.Valid(page) {
				t.Fatalf("invalid UTF-8 text from a valid page: %q", p.Text)
			}
			if p.Views < 0 {
				t.Fatalf("negative views %d", p.Views)
			}
		}
	})
}
