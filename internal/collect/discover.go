package collect

import (
	"net/url"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Invite is the kind of a proposed source that is an invite link (a
// private Telegram group, a WhatsApp group, a Rocket.Chat invite): no
// connector reads it, but an analyst wants to know that flagged posts
// recruit into it.
const Invite = "invite"

// Pointers lists the places a flagged post points to that could be
// watched: Telegram channels it links, mentions (on Telegram) or was
// forwarded from, invite links, and Rocket.Chat rooms. A post that is not
// flagged points nowhere; its own channel is left out.
func Pointers(p *post.Post, now time.Time) []store.Pointer {
	if !p.Decision.Violating {
		return nil
	}
	seen := map[string]bool{}
	var out []store.Pointer
	add := func(kind, loc string) {
		if loc == "" || seen[kind+" "+loc] {
			return
		}
		seen[kind+" "+loc] = true
		out = append(out, store.Pointer{Kind: kind, Location: loc, PostKey: p.Key(), At: now})
	}
	own := ""
	if p.Platform == post.Telegram {
		own = strings.ToLower(p.Channel.ID)
	}
	channel := func(name string) {
		if c, ok := TelegramChannel(name); ok && strings.ToLower(c) != own {
			add(TelegramWeb, "https://t.me/s/"+c)
		}
	}
	for _, link := range p.Outlinks {
		kind, loc := classify(link)
		switch kind {
		case TelegramWeb:
			channel(loc)
		case "":
		default:
			add(kind, loc)
		}
	}
	if p.Platform == post.Telegram {
		for _, m := range p.Mentions {
			channel(m)
		}
		if p.ForwardFrom != "" {
			channel(p.ForwardFrom)
		}
	}
	return out
}

// classify says what a link points to: a Telegram channel (its name), an
// invite link, a Rocket.Chat room, or nothing raqib proposes.
func classify(link string) (kind, location string) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || u.Host == "" {
		return "", ""
	}
	host := strings.ToLower(strings.TrimPrefix(u.Host, "www."))
	path := strings.Trim(u.Path, "/")
	first, rest, _ := strings.Cut(path, "/")
	switch host {
	case "t.me", "telegram.me", "telegram.dog":
		switch {
		case strings.HasPrefix(first, "+"), first == "joinchat" && rest != "":
			return Invite, "https://t.me/" + path
		case first == "s":
			return TelegramWeb, rest
		}
		return TelegramWeb, first
	case "chat.whatsapp.com":
		if path != "" {
			return Invite, "https://chat.whatsapp.com/" + path
		}
		return "", ""
	}
	parts := strings.Split(path, "/")
	if len(parts) == 2 && parts[1] != "" && (u.Scheme == "https" || u.Scheme == "http") {
		switch parts[0] {
		case "channel", "group":
			return RocketChat, u.Scheme + "://" + u.Host + "/" + path
		case "invite":
			return Invite, u.Scheme + "://" + u.Host + "/" + path
		}
	}
	return "", ""
}
