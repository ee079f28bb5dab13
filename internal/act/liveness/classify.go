package liveness

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
)

// Page is what a check fetched: enough of the response to classify it.
type Page struct {
	URL      string // the URL checked
	FinalURL string // where redirects ended; empty when there were none
	Status   int
	Body     []byte // the start of the body (see maxBody)
}

// marker is a phrase of a platform's own page that says what became of
// the content. The phrases are matched on the lower-cased body with
// typographic apostrophes made plain, and only on the platform's hosts: a
// news article quoting "account suspended" is online.
type marker struct {
	text    string
	outcome Outcome
}

// platformMarkers are read from the public pages of each platform as a
// logged-out visitor sees them (see testdata/pages, hand-made from that
// structure). Withheld phrases come first: X's withheld notice also says
// the account "can't be viewed".
var platformMarkers = map[string][]marker{
	"x": {
		{"has been withheld in", Withheld},
		{"withheld in response to a legal demand", Withheld},
		{"account suspended", GoneOutcome},
		{"this post is from a suspended account", GoneOutcome},
		{"this account doesn't exist", GoneOutcome},
		{"this page doesn't exist", GoneOutcome},
		{"this post was deleted", GoneOutcome},
	},
	"facebook": {
		{"isn't available in your country", Withheld},
		{"restricted access to this content in your country", Withheld},
		{"this content isn't available right now", GoneOutcome},
		{"this page isn't available", GoneOutcome},
		{"the link you followed may be broken, or the page may have been removed", GoneOutcome},
	},
	"youtube": {
		{"due to a legal complaint", Withheld},
		{"not available in your country", Withheld},
		{"this video has been removed", GoneOutcome},
		{"has been terminated", GoneOutcome},
		{"this video isn't available anymore", GoneOutcome},
		{"this video is no longer available", GoneOutcome},
		{"this channel does not exist", GoneOutcome},
		{`"playabilitystatus":{"status":"error"`, GoneOutcome},
		{`"playabilitystatus":{"status":"login_required"`, LoginWall},
	},
}

// hostPlatform names the platform whose markers apply to host.
func hostPlatform(host string) string {
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	host = strings.TrimPrefix(host, "m.")
	host = strings.TrimPrefix(host, "mobile.")
	switch host {
	case "x.com", "twitter.com":
		return "x"
	case "facebook.com", "fb.com", "web.facebook.com":
		return "facebook"
	case "youtube.com", "youtu.be", "music.youtube.com":
		return "youtube"
	case "t.me", "telegram.me":
		return "telegram"
	}
	return ""
}

// loginPaths are the paths platforms send a logged-out visitor to instead
// of the content, whether or not the content still exists.
var loginPaths = []string{"/login", "/i/flow/login", "/accounts/login", "/checkpoint", "/servicelogin", "/signin", "/auth/"}

// Classify says what a fetched page shows. Status codes decide first (404
// and 410 gone, 451 withheld, 429 and 5xx transient); then a redirect to a
// login page is inconclusive; then the platform's own "not found",
// "suspended" and "withheld" pages; anything else served is online.
func Classify(p Page) Outcome {
	switch {
	case p.Status == http.StatusUnavailableForLegalReasons:
		return Withheld
	case p.Status == http.StatusNotFound || p.Status == http.StatusGone:
		return GoneOutcome
	case p.Status == http.StatusTooManyRequests || p.Status >= 500 || p.Status == 0:
		return Transient
	case p.Status >= 400:
		// 401/403: the platform refuses this visitor, which says nothing
		// about the content.
		return LoginWall
	}
	orig, err := url.Parse(p.URL)
	if err != nil {
		return Unknown
	}
	final := orig
	if p.FinalURL != "" {
		if final, err = url.Parse(p.FinalURL); err != nil {
			return Unknown
		}
	}
	if final != orig && loginRedirect(final) {
		return LoginWall
	}
	body := bytes.ToLower(p.Body)
	body = bytes.ReplaceAll(body, []byte("\u2019"), []byte("'"))
	plat := hostPlatform(orig.Host)
	if plat == "telegram" {
		return classifyTelegram(orig, final, body)
	}
	for _, m := range platformMarkers[plat] {
		if bytes.Contains(body, []byte(m.text)) {
			return m.outcome
		}
	}
	return Up
}

func loginRedirect(u *url.URL) bool {
	path := strings.ToLower(u.Path)
	for _, l := range loginPaths {
		if strings.HasPrefix(path, l) || strings.Contains(path, l+".") {
			return true
		}
	}
	return false
}

// classifyTelegram reads Telegram's public web preview. A post is checked
// on t.me/s/CHANNEL/ID, the channel's page around that post: the post is
// there when the page holds its data-post="CHANNEL/ID" bubble. A channel
// that is gone or no longer public has no /s/ page: Telegram redirects to
// t.me/CHANNEL, whose page then has no title. The embed widget
// (t.me/CHANNEL/ID?embed=1) says "post not found" in its error block.
func classifyTelegram(orig, final *url.URL, body []byte) Outcome {
	if bytes.Contains(body, []byte("tgme_widget_message_error")) {
		return GoneOutcome
	}
	parts := strings.Split(strings.Trim(orig.Path, "/"), "/")
	preview := len(parts) >= 2 && parts[0] == "s"
	if preview {
		if !strings.HasPrefix(final.Path, "/s/") {
			return GoneOutcome
		}
		if !bytes.Contains(body, []byte("tgme_channel_info")) {
			return GoneOutcome
		}
		if len(parts) >= 3 {
			post := `data-post="` + strings.ToLower(parts[1]+"/"+parts[2]) + `"`
			if !bytes.Contains(body, []byte(post)) {
				return GoneOutcome
			}
		}
		return Up
	}
	if bytes.Contains(body, []byte("tgme_page")) && !bytes.Contains(body, []byte("tgme_page_title")) {
		return GoneOutcome
	}
	return Up
}
