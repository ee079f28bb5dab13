package account

import (
	"net/url"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
)

// PageURL is the public address at which a platform shows an account to a
// logged-out visitor: the page liveness re-checks to learn that the
// platform removed the account. It is "" where accounts have no public
// page (WhatsApp, Rocket.Chat) or the record holds too little to build one.
func PageURL(a post.Account) string {
	handle := strings.TrimPrefix(strings.TrimSpace(a.Handle), "@")
	name := handle
	if name == "" {
		name = a.ID
	}
	if name == "" || strings.ContainsAny(name, "/?#") {
		return ""
	}
	name = url.PathEscape(name)
	switch a.Platform {
	case post.X:
		if handle == "" {
			// X's numeric ids have a page of their own; anything else
			// in the id field is a display name, which has none.
			if strings.Trim(a.ID, "0123456789") != "" {
				return ""
			}
			return "https://x.com/i/user/" + a.ID
		}
		return "https://x.com/" + name
	case post.Telegram:
		if handle == "" {
			return "" // Telegram ids are not addresses
		}
		return "https://t.me/" + name
	case post.Facebook:
		return "https://www.facebook.com/" + name
	case post.YouTube:
		if handle == "" && strings.HasPrefix(a.ID, "UC") {
			return "https://www.youtube.com/channel/" + name
		}
		if handle == "" {
			return ""
		}
		return "https://www.youtube.com/@" + name
	}
	return ""
}
