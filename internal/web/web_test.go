package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testNow is the fixed clock of the tests: the fixtures were posted in the
// days before it.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Keys of the fixture posts.
const (
	keyPropaganda  = "telegram:-1001234567:1042"
	keyNews        = "x:newsdesk:1860000000000000001"
	keyXSS         = "telegram:-1009999:77"
	keyArticle     = "web:https%3A//example.org/feed.xml:https%3A//example.org/2026/11/why-they-lie"
	keyUnrelated   = "whatsapp:family-group:3b1c2d"
	earlierVersion = "بسم الله\nالدولة الإسلامية باقية"
)

// fixture is a post of testdata/posts.json: the raw record as text, span
// offsets left for loadFixtures to find.
type fixture struct {
	post.Post
	RawText string `json:"raw_text"`
}

func loadFixtures(t testing.TB) []post.Post {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "posts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fs []fixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatalf("testdata/posts.json: %v", err)
	}
	ps := make([]post.Post, len(fs))
	for i, f := range fs {
		p := f.Post
		p.Raw = []byte(f.RawText)
		p.Norm = arabic.Normalize(strings.TrimSpace(p.Title + "\n" + p.Text))
		for si := range p.Signals {
			for pi := range p.Signals[si].Spans {
				sp := &p.Signals[si].Spans[pi]
				text := arabic.Normalize(sp.Text)
				sp.Start = strings.Index(p.Norm, text)
				if sp.Start < 0 {
					t.Fatalf("testdata/posts.json: post %s: span %q not in normalized text %q", p.Key(), text, p.Norm)
				}
				sp.End, sp.Text = sp.Start+len(text), text
			}
		}
		ps[i] = p
	}
	return ps
}

// tempStore opens an empty store in a temporary directory, closed when
// the test ends.
func tempStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newTestHandler serves the fixtures from a real sqlite store, with the
// propaganda post edited once so that it has an earlier version.
func newTestHandler(t testing.TB) http.Handler {
	t.Helper()
	ctx := context.Background()
	st := tempStore(t)
	ps := loadFixtures(t)
	for i := range ps {
		src := fixtureSource(ps[i])
		ps[i].Origin.Source = src.ID
		src.FirstCollected, src.LastCollected, src.Read = testNow.Add(-2*time.Hour), testNow.Add(-time.Hour), 2
		if err := st.SaveSource(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	first := ps[0]
	first.Text, first.Signals, first.Decision = earlierVersion, nil, post.Decision{}
	first.Norm = arabic.Normalize(first.Text)
	first.CollectedAt = first.CollectedAt.Add(-time.Hour)
	if _, err := st.SavePosts(ctx, []post.Post{first}); err != nil {
		t.Fatal(err)
	}
	c, err := st.SavePosts(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if c.Edited != 1 || c.Inserted != len(ps)-1 {
		t.Fatalf("fixtures saved as %+v, want one edit", c)
	}
	var cases []post.CaseProposal
	for _, p := range ps {
		if d := p.Decision; d.Violating {
			cases = append(cases, post.CaseProposal{PostKey: p.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score,
				Reason: strings.Join(d.Reasons, "; "), At: testNow})
		}
	}
	if _, err := st.ProposeCases(ctx, cases); err != nil {
		t.Fatal(err)
	}
	return New(Options{Authenticate: asAdmin, Store: st, Version: "test", Now: func() time.Time { return testNow }})
}

// fixtureSource is the source a fixture post was read from.
func fixtureSource(p post.Post) post.Source {
	return post.Source{ID: post.SourceID(p.Origin.Format, p.Origin.File), Format: p.Origin.Format,
		Platform: p.Platform, Location: p.Origin.File}
}

// bayanSource is the id of the Telegram export the propaganda post came from.
var bayanSource = post.SourceID("telegram", "exports/bayan/result.json")

// get requests target with headers given as name, value pairs.
func get(t testing.TB, h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestLanguage(t *testing.T) {
	h := newTestHandler(t)
	const (
		rtl = `<html lang="ar" dir="rtl">`
		ltr = `<html lang="en" dir="ltr">`
	)
	tests := []struct {
		name, target string
		headers      []string
		want         []string
		cookie       string // the language cookie the response sets, "" for none
	}{
		{"default is Arabic", "/", nil, []string{rtl, "المنشورات", "دعاية", "الدولة الإسلامية", `hreflang="en"`}, ""},
		{"lang parameter", "/?lang=en", nil, []string{ltr, ">Posts<", "Propaganda", "Islamic State", `hreflang="ar"`}, "en"},
		{"lang parameter back to Arabic", "/?lang=ar", []string{"Cookie", langCookie + "=en"}, []string{rtl}, "ar"},
		{"cookie", "/", []string{"Cookie", langCookie + "=en"}, []string{ltr}, ""},
		{"cookie beats Accept-Language", "/", []string{"Cookie", langCookie + "=ar", "Accept-Language", "en"}, []string{rtl}, ""},
		{"Accept-Language English", "/", []string{"Accept-Language", "en-US,en;q=0.9"}, []string{ltr}, ""},
		{"Accept-Language prefers Arabic", "/", []string{"Accept-Language", "ar-EG,en;q=0.5"}, []string{rtl}, ""},
		{"Accept-Language unsupported", "/", []string{"Accept-Language", "fr-FR"}, []string{rtl}, ""},
		{"Accept-Language malformed", "/", []string{"Accept-Language", ";;;q=x"}, []string{rtl}, ""},
		{"unknown lang parameter ignored", "/?lang=xx", nil, []string{rtl}, ""},
		{"post page English", "/posts/" + keyPropaganda + "?lang=en", nil, []string{ltr, "Normalized text with matches"}, "en"},
		{"cases page English", "/cases", []string{"Cookie", langCookie + "=en"}, []string{ltr, "Open review cases"}, ""},
		{"error page English", "/posts/nope?lang=en", nil, []string{ltr, "Not found"}, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, tt.target, tt.headers...)
			body := w.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			var got string
			for _, c := range w.Result().Cookies() {
				if c.Name == langCookie {
					got = c.Value
				}
			}
			if got != tt.cookie {
				t.Errorf("language cookie = %q, want %q", got, tt.cookie)
			}
		})
	}
}

// postLinks lists the posts a list page shows, by key.
func postLinks(t *testing.T, body string) []string {
	t.Helper()
	var keys []string
	for _, m := range regexp.MustCompile(`class="post-link" href="/posts/([^"]+)"`).FindAllStringSubmatch(body, -1) {
		keys = append(keys, m[1])
	}
	return keys
}

func escapedKeys(keys ...string) []string {
	for i, k := range keys {
		keys[i] = escKey(k)
	}
	return keys
}

func TestListFilters(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name, query string
		want        []string // keys, newest first
	}{
		{"all newest first", "", []string{keyPropaganda, keyNews, keyXSS, keyArticle, keyUnrelated}},
		{"search without diacritics finds them", "q=الله", []string{keyPropaganda}},
		{"search with diacritics", "q=اللَّهِ", []string{keyPropaganda}},
		{"search hamza and ta marbuta folded", "q=باقيه+الاسلاميه", []string{keyPropaganda}},
		{"search two posts", "q=داعش", []string{keyNews, keyArticle}},
		{"search English", "q=ISIS", []string{keyNews}},
		{"search nothing", "q=لاشيءهنا", nil},
		{"search punctuation only", "q=%22%22%28%29", nil},
		{"platform", "platform=telegram", []string{keyPropaganda, keyXSS}},
		{"label", "label=news", []string{keyNews}},
		{"tier", "tier=4", []string{keyXSS}},
		{"entity", "entity=isis", []string{keyPropaganda, keyNews, keyXSS, keyArticle}},
		{"violating", "violating=1", []string{keyPropaganda, keyXSS}},
		{"violating checkbox value", "violating=on", []string{keyPropaganda, keyXSS}},
		{"filters combine", "platform=telegram&tier=3&q=الدوله", []string{keyPropaganda}},
		{"source", "source=" + bayanSource, []string{keyPropaganda}},
		{"unknown source", "source=0000", nil},
		{"author", "platform=telegram&author=user5150", []string{keyXSS}},
		{"channel", "channel=newsdesk", []string{keyNews}},
		{"empty filters are no filters", "q=&platform=&label=&tier=&entity=", []string{keyPropaganda, keyNews, keyXSS, keyArticle, keyUnrelated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, "/?"+tt.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got, want := postLinks(t, w.Body.String()), escapedKeys(tt.want...)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("posts\n got %q\nwant %q", got, want)
			}
			if len(want) == 0 && !strings.Contains(w.Body.String(), catalogue["ar"]["list.empty"]) {
				t.Error("no empty-list message")
			}
		})
	}
}

func TestListKeepsFilters(t *testing.T) {
	h := newTestHandler(t)
	body := get(t, h, "/?q=%D8%AF%D8%A7%D8%B9%D8%B4&platform=x&label=news&tier=3&entity=isis&violating=1").Body.String()
	for _, s := range []string{`value="داعش"`, `<option value="x" selected>`, `<option value="news" selected>`,
		`<option value="3" selected>`, `<option value="isis" selected>`, `value="1" checked`} {
		if !strings.Contains(body, s) {
			t.Errorf("form does not keep %s", s)
		}
	}
}

// TestListKeepsHiddenFilters checks that filters set by links (a source,
// an author) survive a search from the form.
func TestListKeepsHiddenFilters(t *testing.T) {
	h := newTestHandler(t)
	body := get(t, h, "/?source="+bayanSource+"&author=user5150&channel=newsdesk").Body.String()
	for _, s := range []string{`name="source" value="` + bayanSource + `"`, `name="author" value="user5150"`,
		`name="channel" value="newsdesk"`, catalogue["ar"]["list.filtered"]} {
		if !strings.Contains(body, s) {
			t.Errorf("list page lacks %s", s)
		}
	}
}

func TestSourcesPage(t *testing.T) {
	h := newTestHandler(t)
	for _, tc := range []struct{ target, title string }{{"/sources", "مصادر الجمع"}, {"/sources?lang=en", "Collection sources"}} {
		body := get(t, h, tc.target).Body.String()
		for _, s := range []string{tc.title, "exports/bayan/result.json", "https://example.org/feed.xml",
			`href="/?source=` + bayanSource + `"`, "WhatsApp Chat with العائلة.txt"} {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks %s", tc.target, s)
			}
		}
	}
}

func TestListBadParameter(t *testing.T) {
	h := newTestHandler(t)
	for _, q := range []string{"tier=9", "label=evil", "offset=-1", "limit=x"} {
		t.Run(q, func(t *testing.T) {
			w := get(t, h, "/?"+q)
			name := strings.SplitN(q, "=", 2)[0]
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), name+"=") {
				t.Errorf("status %d, want 400 naming %s: %s", w.Code, name, w.Body)
			}
		})
	}
}

func TestListFragment(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name     string
		headers  []string
		fragment bool
	}{
		{"plain request", nil, false},
		{"htmx request", []string{"HX-Request", "true"}, true},
		{"htmx history restore", []string{"HX-Request", "true", "HX-History-Restore-Request", "true"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := get(t, h, "/?platform=x", tt.headers...).Body.String()
			if got := !strings.Contains(body, "<html"); got != tt.fragment {
				t.Fatalf("fragment = %v, want %v", got, tt.fragment)
			}
			if !strings.HasPrefix(strings.TrimSpace(body), `<section id="results"`) && tt.fragment {
				t.Errorf("fragment does not start with the results section: %.80s", body)
			}
			if got := strings.Contains(body, `hx-swap-oob="true"`); got != tt.fragment {
				t.Errorf("out-of-band language link = %v, want %v", got, tt.fragment)
			}
			if !strings.Contains(body, escapedKeys(keyNews)[0]) {
				t.Error("the filtered post is missing")
			}
		})
	}
}

func TestPagination(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		query      string
		want       []string
		prev, next string
	}{
		{"limit=2", []string{keyPropaganda, keyNews}, "", "/?limit=2&amp;offset=2"},
		{"limit=2&offset=2", []string{keyXSS, keyArticle}, "/?limit=2", "/?limit=2&amp;offset=4"},
		{"limit=2&offset=4&lang=en", []string{keyUnrelated}, "/?limit=2&amp;offset=2", ""},
		{"limit=2&offset=3", []string{keyArticle, keyUnrelated}, "/?limit=2&amp;offset=1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			body := get(t, h, "/?"+tt.query).Body.String()
			if got, want := postLinks(t, body), escapedKeys(tt.want...); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("posts\n got %q\nwant %q", got, want)
			}
			for rel, want := range map[string]string{"prev": tt.prev, "next": tt.next} {
				m := regexp.MustCompile(`<a href="([^"]*)"[^>]*rel="` + rel + `"`).FindStringSubmatch(body)
				got := ""
				if m != nil {
					got = m[1]
				}
				if got != want {
					t.Errorf("%s link = %q, want %q", rel, got, want)
				}
			}
		})
	}
}

func TestPostPage(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name, key string
		want      []string
	}{
		{"highlights spans", keyPropaganda, []string{
			`بسم الله الرحمن الرحيم <mark class="hl-propaganda" title="lexicon: alias.supporter: الدولة الإسلامية">الدوله </mark>`,
			// Where spans of two signals overlap, the mark gives both reasons.
			"title=\"lexicon: alias.supporter: الدولة الإسلامية\nrules: rule: supporter-name-near-slogan\">الاسلاميه</mark>",
			`<mark class="hl-propaganda" title="lexicon: slogan: باقية وتتمدد"> وتتمدد</mark> باذن الله`,
			"Supporter name and slogan in one post.",
			"rules: supporter-name-near-slogan",
			"9f2c1e4b7a0d5c3e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
			"pdq <code>f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22</code> q=100",
			"exports/bayan/result.json", "<dd>41</dd>", "<dd>1877</dd>",
			`<a href="/?source=` + bayanSource + `">`,
			`<a href="/?platform=telegram&amp;author=-1001234567">`,
			`<td dir="auto" class="text">` + earlierVersion + `</td>`,
			`href="/raw/telegram:-1001234567:1042"`,
			"\n  &#34;id&#34;: 1042,", // the JSON raw record, indented
			"#الخلافة",
		}},
		{"news with outlinks", keyNews, []string{
			`<a href="https://news.example.org/2026/11/24/attack" rel="noreferrer noopener" target="_blank" class="ext">`,
			`<mark class="hl-news"`, `href="#ZgotmplZ"`, "@agency", "120400", "أخبار", "x/2026-11-24.jsonl",
		}},
		{"key with slashes", keyArticle, []string{`href="` + postURL(keyArticle) + `?lang=en"`, "لماذا يكذب خوارج العصر؟", "خطاب مضاد", catalogue["ar"]["post.nosignals"], catalogue["ar"]["raw.none"]}},
		{"no decision", keyUnrelated, []string{"جمعة مباركة", catalogue["ar"]["decision.none"], catalogue["ar"]["post.noversions"]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, postURL(tt.key))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			body := w.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
	t.Run("missing post", func(t *testing.T) {
		if w := get(t, h, postURL("telegram:x:missing")); w.Code != http.StatusNotFound {
			t.Errorf("status %d, want 404", w.Code)
		}
	})
}

func TestCasesPage(t *testing.T) {
	h := newTestHandler(t)
	body := get(t, h, "/cases").Body.String()
	for _, key := range []string{keyPropaganda, keyXSS} {
		if !strings.Contains(body, `href="`+postURL(key)+`"`) {
			t.Errorf("no case links to %s", key)
		}
	}
	if strings.Contains(body, postURL(keyNews)+`"`) {
		t.Error("a news post has a case")
	}
	if !strings.Contains(body, "<b>2</b> "+catalogue["ar"]["stats.cases"]) {
		t.Error("header does not count 2 open cases")
	}
}

func TestHeaderStats(t *testing.T) {
	h := newTestHandler(t)
	body := get(t, h, "/?lang=en").Body.String()
	for _, s := range []string{"<b>5</b> posts", "<b>2</b> violating", "<b>2</b> open cases"} {
		if !strings.Contains(body, s) {
			t.Errorf("header lacks %q", s)
		}
	}
}

func TestRawDownload(t *testing.T) {
	h := newTestHandler(t)
	ps := loadFixtures(t)
	tests := []struct {
		name, key, ctype, file string
		want                   []byte
	}{
		{"JSON record", keyPropaganda, "application/json", "raqib-raw-telegram-1042.json", ps[0].Raw},
		{"HTML record", keyXSS, "application/octet-stream", "raqib-raw-telegram-77.bin", ps[2].Raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, "/raw/"+tt.key)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if !bytes.Equal(w.Body.Bytes(), tt.want) {
				t.Errorf("raw download differs from the stored record:\n got %q\nwant %q", w.Body.Bytes(), tt.want)
			}
			if got := w.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
			if got := w.Header().Get("Content-Disposition"); got != `attachment; filename="`+tt.file+`"` {
				t.Errorf("Content-Disposition = %q", got)
			}
		})
	}
	t.Run("no raw record", func(t *testing.T) {
		if w := get(t, h, "/raw/"+escKey(keyArticle)); w.Code != http.StatusNotFound {
			t.Errorf("status %d, want 404", w.Code)
		}
	})
}

// escKey is the path-escaped key, as the pages link it.
func escKey(key string) string { return strings.TrimPrefix(postURL(key), "/posts/") }

func TestHostileTextEscaped(t *testing.T) {
	h := newTestHandler(t)
	for _, target := range []string{"/", "/?lang=en", postURL(keyXSS), "/cases", "/?q=%3Cscript%3E"} {
		t.Run(target, func(t *testing.T) {
			body := get(t, h, target).Body.String()
			for _, bad := range []string{"<script>alert", "<img src=x", "<b>مجموعة", `title="<script`} {
				if strings.Contains(body, bad) {
					t.Errorf("page contains unescaped %q", bad)
				}
			}
			if target == postURL(keyXSS) && !strings.Contains(body, "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;") {
				t.Error("the escaped script is not shown")
			}
		})
	}
}

// inlineCode finds what the Content-Security-Policy forbids in markup.
var inlineCode = regexp.MustCompile(`(?i)<[^>]*\s(style|on[a-z]+)\s*=|<style|<script>|<script [^>]*>[^<]`)

// TestPagesObeyCSP checks the markup against what the Content-Security-Policy
// forbids, since a browser would silently drop inline styles and scripts.
func TestPagesObeyCSP(t *testing.T) {
	h := newTestHandler(t)
	for _, target := range []string{"/", "/?lang=en", "/cases", postURL(keyPropaganda), postURL(keyXSS), "/posts/missing", "/banks", "/sources"} {
		t.Run(target, func(t *testing.T) {
			w := get(t, h, target)
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP = %q", csp)
			}
			if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			if m := inlineCode.FindString(w.Body.String()); m != "" {
				t.Errorf("inline style or script: %q", m)
			}
			if strings.Contains(w.Body.String(), "<img") {
				t.Error("page loads an image")
			}
		})
	}
}

func TestStatic(t *testing.T) {
	h := newTestHandler(t)
	for _, path := range []string{"/static/raqib.css", "/static/htmx.min.js"} {
		t.Run(path, func(t *testing.T) {
			w := get(t, h, path)
			if w.Code != http.StatusOK || w.Body.Len() == 0 {
				t.Errorf("status %d, %d bytes", w.Code, w.Body.Len())
			}
		})
	}
}

func TestAPI(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name, target string
		status       int
		want         []string
	}{
		{"posts", "/api/posts", 200, []string{`"posts":[`, `"id":"1042"`}},
		{"posts filtered", "/api/posts?label=news", 200, []string{`"id":"1860000000000000001"`}},
		{"posts none", "/api/posts?q=لاشيءهنا", 200, []string{`{"posts":[]}`}},
		{"bad tier", "/api/posts?tier=7", 400, []string{`"error":"bad parameter tier=\"7\"`}},
		{"bad label", "/api/posts?label=x", 400, []string{`label=\"x\"`}},
		{"bad limit", "/api/posts?limit=1001", 400, []string{`limit=`}},
		{"bad offset", "/api/posts?offset=z", 400, []string{`offset=`}},
		{"post", "/api/posts/" + escKey(keyArticle), 200, []string{`"title":"لماذا يكذب خوارج العصر؟"`, `"versions":null`}},
		{"post versions", "/api/posts/" + keyPropaganda, 200, []string{`"version":1`}},
		{"post missing", "/api/posts/telegram:1:2", 404, []string{`"error":`, "not found"}},
		{"cases", "/api/cases", 200, []string{`"post_key":"` + keyXSS + `"`}},
		{"cases by status", "/api/cases?status=removed", 200, []string{`{"cases":[]}`}},
		{"stats", "/api/stats", 200, []string{`"posts":5`, `"violating":2`, `"open_cases":2`}},
		{"sources", "/api/sources", 200, []string{`"location":"exports/bayan/result.json"`, `"posts":1`, `"read":2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, tt.target)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Errorf("invalid JSON: %s", w.Body)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %s: %s", s, w.Body)
				}
			}
		})
	}
}

func TestHealthAndMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "raqib_posts 0\n") })
	h := New(Options{Authenticate: asAdmin, Store: st, Metrics: metrics, Log: slog.New(slog.DiscardHandler)})
	noMetrics := New(Options{Authenticate: asAdmin, Store: st})
	tests := []struct {
		name    string
		h       http.Handler
		target  string
		status  int
		body    string
		closeDB bool
	}{
		{"healthy", h, "/healthz", 200, "ok\n", false},
		{"metrics", h, "/metrics", 200, "raqib_posts 0\n", false},
		{"no metrics handler", noMetrics, "/metrics", 404, "404 page not found\n", false},
		{"empty store lists nothing", h, "/api/posts", 200, "{\"posts\":[]}\n", false},
		{"store down", h, "/healthz", 503, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.closeDB {
				st.Close()
			}
			w := get(t, tt.h, tt.target)
			if w.Code != tt.status || (tt.body != "" && w.Body.String() != tt.body) {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
		})
	}
}

// TestListGolden pins the whole list page, fixed clock and all.
func TestListGolden(t *testing.T) {
	h := newTestHandler(t)
	for _, tt := range []struct{ name, target string }{{"list.golden", "/"}, {"list_en.golden", "/?lang=en&violating=1"}} {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, h, tt.target).Body.Bytes()
			path := filepath.Join("testdata", tt.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("list page differs from %s (run with -update and review the diff):\n%s", path, got)
			}
		})
	}
}

func TestCatalogueComplete(t *testing.T) {
	defined := map[string]int{}
	for k := range coreCatalogue[langs[0]] {
		defined[k]++
	}
	for _, set := range featureMessages {
		for k := range set {
			if defined[k]++; defined[k] > 1 {
				t.Errorf("UI string %q defined twice", k)
			}
		}
	}
	used := map[string]bool{}
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.T "([^"]+)"`)
	for _, e := range entries {
		b, err := templateFS.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, p := range platforms {
		used["platform."+string(p)] = true
	}
	for _, k := range []hashbank.Kind{hashbank.KindOwn, hashbank.KindPartner, hashbank.KindImported, hashbank.KindNegative} {
		used["kind."+string(k)] = true
	}
	for _, st := range []post.CaseStatus{post.CaseOpen, post.CaseConfirmed, post.CaseDismissed, post.CaseReferred, post.CaseRemoved, post.CaseMerged} {
		used["status."+string(st)] = true
	}
	for _, r := range auth.Roles {
		used["role."+string(r)] = true
	}
	for _, k := range []string{"post.title", "evidence.title", "error.400", "error.403", "error.404", "error.409", "error.500", "time.now", "time.future", "time.never"} {
		used[k] = true
	}
	for _, g := range []string{"account/x/1", "recycled/x:c:1"} {
		used[groupKind(g)] = true
	}
	for _, k := range accountKeys() {
		used[k] = true
	}
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			for k := range used {
				if catalogue[lang][k] == "" {
					t.Errorf("no %s string for %q", lang, k)
				}
			}
			for k := range catalogue[lang] {
				if !used[k] {
					t.Errorf("unused key %q", k)
				}
			}
		})
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d      time.Duration
		ar, en string
	}{
		{0, "الآن", "just now"},
		{-2 * time.Hour, "في المستقبل", "in the future"},
		{time.Minute, "منذ دقيقة", "1 minute ago"},
		{2 * time.Minute, "منذ دقيقتين", "2 minutes ago"},
		{5 * time.Minute, "منذ 5 دقائق", "5 minutes ago"},
		{11 * time.Minute, "منذ 11 دقيقة", "11 minutes ago"},
		{3 * time.Hour, "منذ 3 ساعات", "3 hours ago"},
		{25 * time.Hour, "منذ يوم", "1 day ago"},
		{15 * 24 * time.Hour, "منذ 15 يوماً", "15 days ago"},
		{65 * 24 * time.Hour, "منذ شهرين", "2 months ago"},
		{3 * 365 * 24 * time.Hour, "منذ 3 سنوات", "3 years ago"},
	}
	for _, tt := range tests {
		t.Run(tt.en, func(t *testing.T) {
			if got := ago(testNow.Add(-tt.d), testNow, "ar"); got != tt.ar {
				t.Errorf("ar: %q, want %q", got, tt.ar)
			}
			if got := ago(testNow.Add(-tt.d), testNow, "en"); got != tt.en {
				t.Errorf("en: %q, want %q", got, tt.en)
			}
		})
	}
	if got := ago(time.Time{}, testNow, "en"); got != "—" {
		t.Errorf("zero time: %q", got)
	}
}

func TestHighlight(t *testing.T) {
	const norm = "الدوله الاسلاميه باقيه" // 2-byte letters
	sig := func(spans ...post.Span) []post.Signal {
		return []post.Signal{{Detector: "d", Label: post.Propaganda, Spans: spans}}
	}
	tests := []struct {
		name string
		sigs []post.Signal
		want string // segments, marks in [], reasons after |
		bad  int
	}{
		{"none", nil, "الدوله الاسلاميه باقيه", 0},
		{"one", sig(post.Span{Start: 0, End: 12, Why: "w"}), "[الدوله|d: w] الاسلاميه باقيه", 0},
		{"why falls back to text", sig(post.Span{Start: 0, End: 12, Text: "t"}), "[الدوله|d: t] الاسلاميه باقيه", 0},
		{"overlap", sig(post.Span{Start: 0, End: 31, Why: "a"}, post.Span{Start: 13, End: 42, Why: "b"}),
			"[الدوله |d: a][الاسلاميه|d: a\nd: b][ باقيه|d: b]", 0},
		{"same span twice", sig(post.Span{Start: 0, End: 12, Why: "a"}, post.Span{Start: 0, End: 12, Why: "a"}), "[الدوله|d: a] الاسلاميه باقيه", 0},
		{"inside a rune moves to its start", sig(post.Span{Start: 1, End: 13, Why: "a"}), "[الدوله |d: a]الاسلاميه باقيه", 0},
		{"out of range", sig(post.Span{Start: 40, End: 400}, post.Span{Start: -3, End: 2}), "الدوله الاسلاميه باقيه", 2},
		{"reversed and empty", sig(post.Span{Start: 10, End: 2}, post.Span{Start: 4, End: 4}), "الدوله الاسلاميه باقيه", 2},
		{"within one rune", sig(post.Span{Start: 0, End: 1}), "الدوله الاسلاميه باقيه", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, bad := highlight(norm, tt.sigs)
			var b strings.Builder
			for _, s := range segs {
				if s.Mark {
					b.WriteString("[" + s.Text + "|" + s.Why + "]")
				} else {
					b.WriteString(s.Text)
				}
			}
			if b.String() != tt.want || bad != tt.bad {
				t.Errorf("got %q bad=%d, want %q bad=%d", b.String(), bad, tt.want, tt.bad)
			}
		})
	}
}

// FuzzHighlight checks that any spans, however wrong, keep the text intact.
func FuzzHighlight(f *testing.F) {
	f.Add("الدوله الاسلاميه", 0, 12, 5, 40)
	f.Add("", 0, 0, -1, 1)
	f.Add("a\xffb", 1, 2, 0, 3)
	f.Fuzz(func(t *testing.T, norm string, s1, e1, s2, e2 int) {
		segs, bad := highlight(norm, []post.Signal{{Spans: []post.Span{{Start: s1, End: e1}, {Start: s2, End: e2}}}})
		var b strings.Builder
		for _, s := range segs {
			if s.Text == "" {
				t.Fatal("empty segment")
			}
			b.WriteString(s.Text)
		}
		if b.String() != norm {
			t.Fatalf("segments join to %q, want %q", b.String(), norm)
		}
		if bad < 0 || bad > 2 {
			t.Fatalf("bad = %d", bad)
		}
	})
}

// FuzzParseQuery checks that query strings from the outside either parse to
// bounded values or fail naming a parameter.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "q=الله&tier=3&limit=10&offset=5", "tier=9", "label=news&violating=on", "limit=-1", "%zz", "offset=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v)
		if err != nil {
			if !strings.Contains(err.Error(), "=") {
				t.Fatalf("error names no parameter: %v", err)
			}
			return
		}
		if q.Tier < 0 || q.Tier > 4 || q.Limit < 0 || q.Limit > 1000 || q.Offset < 0 || (q.Label != "" && !q.Label.Valid()) {
			t.Fatalf("out of bounds: %+v", q)
		}
	})
}

func TestDisplayRaw(t *testing.T) {
	big := bytes.Repeat([]byte("ب"), rawDisplayMax) // 2 MB, cut inside nothing
	tests := []struct {
		name string
		raw  []byte
		want string
		cut  bool
	}{
		{"JSON indented", []byte(`{"a":[1,"ب"]}`), "{\n  \"a\": [\n    1,\n    \"ب\"\n  ]\n}", false},
		{"text verbatim", []byte("line 1\n<b>x</b>"), "line 1\n<b>x</b>", false},
		{"invalid UTF-8 replaced", []byte("a\xffb"), "a\uFFFDb", false},
		{"capped", big, strings.Repeat("ب", rawDisplayMax/2), true},
		{"capped inside a rune", append([]byte("x"), big...), "x" + strings.Repeat("ب", rawDisplayMax/2-1) + "\uFFFD", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := displayRaw(tt.raw)
			if got != tt.want || cut != tt.cut {
				t.Errorf("got %.60q cut=%v, want %.60q cut=%v", got, cut, tt.want, tt.cut)
			}
		})
	}
}

func TestRawFilename(t *testing.T) {
	tests := []struct {
		p    post.Post
		want string
	}{
		{post.Post{Platform: post.Telegram, ID: "42", Raw: []byte(`{}`)}, "raqib-raw-telegram-42.json"},
		{post.Post{Platform: post.Web, ID: "https://a.example/x?y=\"z\"\r\n", Raw: []byte("<html>")}, "raqib-raw-web-https___a.example_x_y__z___.bin"},
		{post.Post{Platform: post.WhatsApp, ID: "أبو"}, "raqib-raw-whatsapp-______.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := rawFilename(&tt.p); got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func BenchmarkList(b *testing.B) {
	h := newTestHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		get(b, h, "/?q=الله")
	}
}

func BenchmarkHighlight(b *testing.B) {
	ps := loadFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		highlight(ps[0].Norm, ps[0].Signals)
	}
}

func TestCaseGroupLinks(t *testing.T) {
	for _, tc := range []struct{ group, url, kind string }{
		{"account/x/12 34", "/?author=12+34&platform=x", "case.group.account"},
		{"recycled/web:https%3A//a.example:1", postURL("web:https%3A//a.example:1"), "case.group.recycled"},
		{"", "", ""},
		{"other/thing", "", ""},
	} {
		t.Run(tc.group, func(t *testing.T) {
			if got := groupURL(tc.group); got != tc.url {
				t.Errorf("groupURL(%q) = %q, want %q", tc.group, got, tc.url)
			}
			if got := groupKind(tc.group); got != tc.kind {
				t.Errorf("groupKind(%q) = %q, want %q", tc.group, got, tc.kind)
			}
			for lang, cat := range catalogue {
				if tc.kind != "" && cat[tc.kind] == "" {
					t.Errorf("%s catalogue lacks %s", lang, tc.kind)
				}
			}
		})
	}
}
