package collect

import (
	"slices"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

func TestPointers(t *testing.T) {
	now := time.Now()
	p := post.Post{
		Platform: post.Telegram, ID: "5", Channel: post.Channel{Platform: post.Telegram, ID: "fake_own_chan"},
		Outlinks: []string{
			"https://t.me/fake_other_chan/12", "https://t.me/+AbCdEf123", "https://t.me/joinchat/XyZ987",
			"https://chat.whatsapp.com/InventedInvite123", "https://chat.example.invalid/channel/recruits",
			"https://chat.example.invalid/invite/AbC", "https://news.example.invalid/article/1",
			"https://t.me/s/fake_own_chan", "https://t.me/fake_other_chan",
		},
		Mentions:    []string{"fake_mentioned_chan", "x"},
		ForwardFrom: "fake_origin_chan",
	}
	if got := Pointers(&p, now); got != nil {
		t.Fatalf("an unflagged post points to %v", got)
	}
	p.Decision.Violating = true
	var got []string
	for _, ptr := range Pointers(&p, now) {
		if ptr.PostKey != p.Key() {
			t.Errorf("pointer of post %s", ptr.PostKey)
		}
		got = append(got, ptr.Kind+" "+ptr.Location)
	}
	want := []string{
		"telegram-web https://t.me/s/fake_other_chan",
		"invite https://t.me/+AbCdEf123",
		"invite https://t.me/joinchat/XyZ987",
		"invite https://chat.whatsapp.com/InventedInvite123",
		"rocketchat https://chat.example.invalid/channel/recruits",
		"invite https://chat.example.invalid/invite/AbC",
		"telegram-web https://t.me/s/fake_mentioned_chan",
		"telegram-web https://t.me/s/fake_origin_chan",
	}
	if !slices.Equal(got, want) {
		t.Errorf("pointers:\n got %q\nwant %q", got, want)
	}
}

func TestNewSource(t *testing.T) {
	for _, tt := range []struct {
		kind, loc string
		o         Options
		want      string // location, or "" for an error
	}{
		{TelegramWeb, "@fake_chan", Options{}, "https://t.me/s/fake_chan"},
		{TelegramWeb, "https://t.me/s/fake_chan/77", Options{}, "https://t.me/s/fake_chan"},
		{TelegramWeb, "t.me/+invite", Options{}, ""},
		{Feed, "https://news.example.invalid/rss#x", Options{}, "https://news.example.invalid/rss"},
		{Feed, "file:///etc/passwd", Options{}, ""},
		{Feed, "https://user:pw@news.example.invalid/rss", Options{}, ""},
		{Feed, "https://news.example.invalid/rss", Options{Every: time.Second}, ""},
		{Feed, "https://news.example.invalid/rss", Options{TokenEnv: "sk-live-123 456"}, ""},
		{XAPI, "https://api.x.com/2/tweets/search/recent?query=x", Options{}, ""},
		{XAPI, "https://api.x.com/2/tweets/search/recent?query=x", Options{TokenEnv: "X_BEARER"}, "https://api.x.com/2/tweets/search/recent?query=x"},
		{XAPI, "@example_user", Options{TokenEnv: "X_BEARER"}, "https://api.x.com/2/users/by/username/example_user"},
		{XAPI, "@not-a-handle", Options{TokenEnv: "X_BEARER"}, ""},
		{XAPI, "@a_handle_far_too_long", Options{TokenEnv: "X_BEARER"}, ""},
		{XAPI, "file:///etc/passwd", Options{TokenEnv: "X_BEARER"}, ""},
		{RocketChat, "https://chat.example.invalid/channel/general", Options{TokenEnv: "RC"}, "https://chat.example.invalid/channel/general"},
		{RocketChat, "https://chat.example.invalid/home", Options{TokenEnv: "RC"}, ""},
		{Web, "https://forum.example.invalid/t/1", Options{}, ""},
		{Web, "https://forum.example.invalid/t/1", Options{Selector: "div.post"}, "https://forum.example.invalid/t/1"},
		{Webhook, "partner-a", Options{TokenEnv: "HOOK_SECRET"}, "partner-a"},
		{Webhook, "partner-a", Options{}, ""},
		{"ftp", "x", Options{}, ""},
	} {
		src, err := NewSource(tt.kind, tt.loc, tt.o)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s %q: accepted as %q", tt.kind, tt.loc, src.Location)
		case tt.want != "" && (err != nil || src.Location != tt.want || src.ID != post.SourceID(tt.kind, tt.want) || src.Watch.Every != DefaultEvery):
			t.Errorf("%s %q = %+v, %v; want %q", tt.kind, tt.loc, src, err, tt.want)
		}
	}
}
