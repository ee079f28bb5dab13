package platform

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/feed"
	"github.com/raqib-project/raqib/internal/testclock"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postJSON(t *testing.T, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRemovesAfterDelay(t *testing.T) {
	c := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	state := filepath.Join(t.TempDir(), "state.json")
	p, err := Start(Options{Delays: []time.Duration{time.Minute, -1}, Token: "s3cret", Now: c.Now, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Publish("a", "عنوان", "نص تجريبي", c.Now())
	b := p.Publish("b", "", "نص آخر", c.Now())
	if code, body := get(t, a.URL); code != 200 || !strings.Contains(body, "نص تجريبي") {
		t.Fatalf("GET %s = %d", a.URL, code)
	}
	if code, _ := get(t, p.URL()+"/p/missing"); code != 404 {
		t.Errorf("a missing post: %d", code)
	}
	if resp, _ := postJSON(t, p.WebhookURL(), "wrong", `{}`); resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
	resp, body := postJSON(t, p.WebhookURL(), "s3cret", `{"referrals": [{"id": 7, "url": "`+a.URL+`"}, {"id": 8, "url": "`+b.URL+`"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `{"id":7,"ticket":"SIM-1"}`) || !strings.Contains(body, `{"id":8,"ticket":"SIM-2"}`) {
		t.Fatalf("webhook = %d %s", resp.StatusCode, body)
	}
	c.Add(59 * time.Second)
	if code, _ := get(t, a.URL); code != 200 {
		t.Errorf("removed early: %d", code)
	}
	c.Add(time.Second)
	if code, body := get(t, a.URL); code != 404 || !strings.Contains(body, "removed") {
		t.Errorf("after its delay: %d %s", code, body)
	}
	if code, _ := get(t, b.URL); code != 200 {
		t.Errorf("a post with a negative delay was removed: %d", code)
	}
	// A restart keeps what was referred and removed.
	p.Close()
	p2, err := Start(Options{Now: c.Now, StateFile: state, Addr: strings.TrimPrefix(p.URL(), "http://")})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if at, gone := p2.Removed(a.URL); !gone || len(p2.Reports()) != 2 || !at.Equal(c.Now()) {
		t.Errorf("after restart: removed %v at %v, %d reports", gone, at, len(p2.Reports()))
	}
}

func TestFailsThenAnswers(t *testing.T) {
	p, err := Start(Options{Fail: 1, FailStatus: 429, RetryAfter: "7"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if resp, _ := postJSON(t, p.WebhookURL(), "", `{"referrals": []}`); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("first call = %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := postJSON(t, p.WebhookURL(), "", `{"referrals": []}`); resp.StatusCode != 200 {
		t.Errorf("second call = %d", resp.StatusCode)
	}
	if resp, _ := postJSON(t, p.WebhookURL(), "", `{`); resp.StatusCode != 400 {
		t.Errorf("bad JSON = %d", resp.StatusCode)
	}
	if p.Calls() != 3 {
		t.Errorf("%d calls", p.Calls())
	}
}

// TestFeedImports reads the platform's feed with raqib's feed importer:
// each post comes out as a web post at its URL.
func TestFeedImports(t *testing.T) {
	p, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	want := p.Publish("1", "عنوان", "نص", at)
	ps, rej, err := source.Collect(feed.Decoder{}, source.Input{Name: "feed.xml", R: bytes.NewReader(p.Feed())})
	if err != nil || len(rej) != 0 || len(ps) != 1 {
		t.Fatalf("feed: %d posts, %v, %v", len(ps), rej, err)
	}
	if ps[0].URL != want.URL || ps[0].Platform != post.Web || !ps[0].PostedAt.Equal(at) || !strings.Contains(ps[0].Text, "نص") {
		t.Errorf("post = %+v", ps[0])
	}
}
