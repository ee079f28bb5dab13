// Package platform is a simulated social platform for the demo and for
// tests: a real HTTP server on 127.0.0.1 that publishes posts at URLs,
// takes referrals by webhook and answers with ticket ids, and removes each
// referred post after a chosen delay, after which its URL answers 404 with
// a "removed" page, as a platform's takedown does.
package platform

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Options configure a platform.
type Options struct {
	// Delays are how long after its referral each referred post is
	// removed, given in the order referrals arrive and used in turn; no
	// delays removes nothing. A negative delay keeps the post online.
	Delays []time.Duration
	// Token, when set, is the bearer token webhooks must carry.
	Token string
	// Fail makes the first Fail webhook calls answer FailStatus (default
	// 503) with a Retry-After of RetryAfter, when set.
	Fail       int
	FailStatus int
	RetryAfter string
	Now        func() time.Time
	// Addr is the 127.0.0.1 port to listen on, "127.0.0.1:PORT"; a busy
	// or empty one takes a free port.
	Addr string
	// StateFile, when set, keeps the referrals received and the removals
	// scheduled across restarts.
	StateFile string
}

// Report is one referral the platform received.
type Report struct {
	ID       int64  `json:"id"`
	URL      string `json:"url"`
	Ticket   string `json:"ticket"`
	Evidence string `json:"evidence_sha256"`
	// At is when it arrived; RemoveAt when its post goes (zero: never).
	At       time.Time `json:"at"`
	RemoveAt time.Time `json:"remove_at,omitzero"`
}

// Post is a published post.
type Post struct {
	ID    string
	Title string
	Text  string
	URL   string
	At    time.Time
}

// Platform is a running simulated platform.
type Platform struct {
	opt  Options
	srv  *http.Server
	base string

	mu       sync.Mutex
	posts    map[string]*Post // by path
	order    []string
	reports  []Report
	removeAt map[string]time.Time // by URL
	calls    int
}

// Start starts a platform on a free port of 127.0.0.1.
func Start(opt Options) (*Platform, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.FailStatus == 0 {
		opt.FailStatus = http.StatusServiceUnavailable
	}
	ln, err := listen(opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("simulated platform: %w", err)
	}
	p := &Platform{opt: opt, base: "http://" + ln.Addr().String(), posts: map[string]*Post{}, removeAt: map[string]time.Time{}}
	if err := p.load(); err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/referrals", p.webhook)
	mux.HandleFunc("GET /p/{id}", p.page)
	mux.HandleFunc("GET /feed.xml", p.feed)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// listen listens on addr when it is a free 127.0.0.1 port, else on any
// free port of 127.0.0.1: the platform never listens beyond loopback.
func listen(addr string) (net.Listener, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr() == netip.MustParseAddr("127.0.0.1") {
		if ln, err := net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// state is what StateFile keeps.
type state struct {
	Reports  []Report             `json:"reports"`
	RemoveAt map[string]time.Time `json:"remove_at"`
}

func (p *Platform) load() error {
	if p.opt.StateFile == "" {
		return nil
	}
	b, err := os.ReadFile(p.opt.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var st state
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return fmt.Errorf("simulated platform state %s: %w", p.opt.StateFile, err)
	}
	p.reports = st.Reports
	maps.Copy(p.removeAt, st.RemoveAt)
	return nil
}

// save writes the state; the caller holds mu.
func (p *Platform) save() error {
	if p.opt.StateFile == "" {
		return nil
	}
	b, err := json.Marshal(state{p.reports, p.removeAt})
	if err != nil {
		return err
	}
	tmp := p.opt.StateFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.opt.StateFile)
}

// URL is the platform's base URL.
func (p *Platform) URL() string { return p.base }

// WebhookURL is where the platform takes referrals.
func (p *Platform) WebhookURL() string { return p.base + "/api/referrals" }

// Close stops the server.
func (p *Platform) Close() error { return p.srv.Close() }

// Publish publishes a post and returns it with its URL.
func (p *Platform) Publish(id, title, text string, at time.Time) Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	path := "/p/" + id
	ps := &Post{ID: id, Title: title, Text: text, URL: p.base + path, At: at}
	if _, ok := p.posts[path]; !ok {
		p.order = append(p.order, path)
	}
	p.posts[path] = ps
	return *ps
}

// Reports returns the referrals received so far, in order.
func (p *Platform) Reports() []Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Report(nil), p.reports...)
}

// Calls counts the webhook calls, failed ones included.
func (p *Platform) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Removed reports whether the post at url is removed now, and since when.
func (p *Platform) Removed(url string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.removeAt[url]
	return at, ok && !p.opt.Now().Before(at)
}

// incoming is what the platform reads of a webhook batch.
type incoming struct {
	Referrals []struct {
		ID           int64  `json:"id"`
		URL          string `json:"url"`
		EvidenceHash string `json:"evidence_sha256"`
	} `json:"referrals"`
}

type ticket struct {
	ID     int64  `json:"id"`
	Ticket string `json:"ticket"`
}

func (p *Platform) webhook(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.opt.Token != "" && r.Header.Get("Authorization") != "Bearer "+p.opt.Token {
		http.Error(w, `{"message":"bad token"}`, http.StatusUnauthorized)
		return
	}
	if p.calls <= p.opt.Fail {
		if p.opt.RetryAfter != "" {
			w.Header().Set("Retry-After", p.opt.RetryAfter)
		}
		http.Error(w, `{"message":"try later"}`, p.opt.FailStatus)
		return
	}
	var in incoming
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
		return
	}
	var out []ticket
	for _, ref := range in.Referrals {
		rep := p.receive(ref.ID, ref.URL, ref.EvidenceHash)
		out = append(out, ticket{ref.ID, rep.Ticket})
	}
	if err := p.save(); err != nil {
		http.Error(w, `{"message":"cannot keep the reports"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"tickets": out, "message": fmt.Sprintf("received %d reports", len(out))})
}

// Receive takes a referral that came another way than the webhook, as a
// platform's trust-and-safety desk takes one from its abuse mailbox: the
// post at url is removed after the next delay, as a webhook's would be.
func (p *Platform) Receive(id int64, url, evidence string) (Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rep := p.receive(id, url, evidence)
	if err := p.save(); err != nil {
		return rep, fmt.Errorf("simulated platform state: %w", err)
	}
	return rep, nil
}

// receive records a referral and schedules its removal; the caller holds
// mu.
func (p *Platform) receive(id int64, url, evidence string) Report {
	now := p.opt.Now()
	rep := Report{ID: id, URL: url, Evidence: evidence, At: now, Ticket: fmt.Sprintf("SIM-%d", len(p.reports)+1)}
	if n := len(p.opt.Delays); n > 0 {
		if d := p.opt.Delays[len(p.reports)%n]; d >= 0 {
			rep.RemoveAt = now.Add(d)
			if old, ok := p.removeAt[url]; !ok || rep.RemoveAt.Before(old) {
				p.removeAt[url] = rep.RemoveAt
			}
		}
	}
	p.reports = append(p.reports, rep)
	return rep
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>{{if .Removed}}<h1>هذا المحتوى غير متاح</h1><p>This content was removed for violating our policies.</p>
{{else}}<article><h1>{{.Post.Title}}</h1><p>{{.Post.Text}}</p></article>{{end}}</body></html>
`))

func (p *Platform) page(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	ps, ok := p.posts[r.URL.Path]
	var cp Post
	if ok {
		cp = *ps
	}
	at, referred := p.removeAt[p.base+r.URL.Path]
	removed := referred && !p.opt.Now().Before(at)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case removed:
		w.WriteHeader(http.StatusNotFound)
		pageTmpl.Execute(w, map[string]any{"Title": "removed", "Removed": true})
	case !ok:
		http.NotFound(w, r)
	default:
		pageTmpl.Execute(w, map[string]any{"Title": cp.Title, "Post": cp})
	}
}

// Feed returns an RSS feed of every published post, for importing them.
func (p *Platform) Feed() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	type item struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        string `xml:"guid"`
		PubDate     string `xml:"pubDate"`
		Description string `xml:"description"`
	}
	var ch struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Title   string   `xml:"channel>title"`
		Link    string   `xml:"channel>link"`
		Items   []item   `xml:"channel>item"`
	}
	ch.Version, ch.Title, ch.Link = "2.0", "simulated platform", p.base+"/"
	for _, path := range p.order {
		ps := p.posts[path]
		ch.Items = append(ch.Items, item{Title: ps.Title, Link: ps.URL, GUID: ps.URL, PubDate: ps.At.UTC().Format(time.RFC1123Z), Description: ps.Text})
	}
	b, _ := xml.MarshalIndent(ch, "", " ")
	return append([]byte(xml.Header), b...)
}

func (p *Platform) feed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(p.Feed())
}
