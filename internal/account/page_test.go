package account

import (
	"testing"

	"github.com/raqib-project/raqib/internal/post"
)

func TestPageURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    post.Account
		want string
	}{
		{"x handle", post.Account{Platform: post.X, ID: "1234", Handle: "@example_supporter"}, "https://x.com/example_supporter"},
		{"x id only", post.Account{Platform: post.X, ID: "1234"}, "https://x.com/i/user/1234"},
		{"x display name as id", post.Account{Platform: post.X, ID: "أبو محمد"}, ""},
		{"telegram handle", post.Account{Platform: post.Telegram, ID: "user42", Handle: "example_chan"}, "https://t.me/example_chan"},
		{"telegram id only", post.Account{Platform: post.Telegram, ID: "user42"}, ""},
		{"youtube channel id", post.Account{Platform: post.YouTube, ID: "UCabc"}, "https://www.youtube.com/channel/UCabc"},
		{"youtube handle", post.Account{Platform: post.YouTube, ID: "UCabc", Handle: "example"}, "https://www.youtube.com/@example"},
		{"facebook", post.Account{Platform: post.Facebook, ID: "100001"}, "https://www.facebook.com/100001"},
		{"arabic handle escaped", post.Account{Platform: post.Facebook, ID: "1", Handle: "أنصار"}, "https://www.facebook.com/%D8%A3%D9%86%D8%B5%D8%A7%D8%B1"},
		{"path in handle", post.Account{Platform: post.X, ID: "1", Handle: "a/../b"}, ""},
		{"whatsapp has no pages", post.Account{Platform: post.WhatsApp, ID: "+964 770", Handle: "x"}, ""},
		{"rocket.chat has no public pages", post.Account{Platform: post.RocketChat, ID: "u1", Handle: "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PageURL(tc.a); got != tc.want {
				t.Errorf("PageURL(%+v) = %q, want %q", tc.a, got, tc.want)
			}
		})
	}
}
