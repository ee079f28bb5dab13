package referral

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"syntax names the line", "{\n\"reporter\": {\"name\": \"x\"},\n\"targets\": [,]\n}", "line 3"},
		{"type names the line", "{\n\"reporter\": {\"name\": 5}}", "line 2"},
		{"unknown field", `{"reporter": {"name": "u"}, "tragets": []}`, `unknown field "tragets"`},
		{"no reporter", `{"targets": []}`, "reporter.name"},
		{"no name", `{"reporter": {"name": "u"}, "targets": [{"platforms": ["x"], "bundle": {}}]}`, "targets[0] (): name"},
		{"takes nothing", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "bundle": {}}]}`, "platforms, domains or ranges"},
		{"two channels", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["x"], "bundle": {}, "webhook": {"url": "https://a.example"}}]}`, "exactly one channel"},
		{"bad range", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "ranges": ["10.0.0.0/33"], "bundle": {}}]}`, "ranges[0]"},
		{"self-hosted platform", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["rocketchat"], "bundle": {}}]}`, "self-hosted"},
		{"webhook scheme", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["x"], "webhook": {"url": "file:///etc/passwd"}}]}`, "webhook.url"},
		{"email header injection", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["x"], "email": {"server": "m:25", "from": "a@b", "to": ["x@y\r\nBcc: z@w"]}}]}`, "one plain address"},
		{"password in file", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["x"], "email": {"server": "m:25", "from": "a@b", "to": ["x@y"], "user": "u"}}]}`, "password_env"},
		{"duplicate names", `{"reporter": {"name": "u"}, "targets": [{"name": "a", "platforms": ["x"], "bundle": {}}, {"name": "a", "platforms": ["telegram"], "bundle": {}}]}`, "used twice"},
		{"bad duration", `{"reporter": {"name": "u"}, "rereport_after": "soon"}`, "rereport_after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json), "ref.json")
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ref.json: ") {
				t.Errorf("err %v, want ErrConfig naming ref.json and %q", err, tc.want)
			}
		})
	}
}

func TestLoadConfigAndResolve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ref.json")
	if err := os.WriteFile(path, []byte(`{
		"reporter": {"name": "unit"},
		"targets": [
			{"name": "telegram", "platforms": ["telegram"], "bundle": {}},
			{"name": "chat-host", "domains": ["Chat.Example.org."], "bundle": {}},
			{"name": "parent-host", "domains": ["example.org"], "bundle": {}},
			{"name": "dc", "ranges": ["203.0.113.0/24", "2001:db8::/32"], "bundle": {}},
			{"name": "dc-small", "ranges": ["203.0.113.128/25"], "bundle": {}}
		]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		platform post.Platform
		url      string
		want     string
	}{
		{post.Telegram, "https://t.me/s/chan/5", "telegram"},
		{post.RocketChat, "https://chat.example.org/channel/general?msg=1", "chat-host"},
		{post.RocketChat, "https://rc.chat.example.org/x", "chat-host"},
		{post.Web, "https://blog.example.org/a", "parent-host"},
		{post.Web, "https://notexample.org/a", ""},
		{post.Web, "http://203.0.113.7/forum", "dc"},
		{post.Web, "http://203.0.113.200:8080/forum", "dc-small"},
		{post.RocketChat, "http://[2001:db8::1]/", "dc"},
		{post.Web, "http://198.51.100.1/", ""},
		{post.X, "https://x.com/a/status/1", ""},
		{post.Web, "::not a url", ""},
	} {
		got, err := c.Resolve(tc.platform, tc.url)
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != tc.want || (tc.want == "") != errors.Is(err, ErrNoTarget) {
			t.Errorf("Resolve(%s, %s) = %q, %v; want %q", tc.platform, tc.url, name, err, tc.want)
		}
	}
	if h := c.Host("https://chat.example.org/x", "chat-host"); h == nil || h.Name != "parent-host" {
		t.Errorf("host of chat.example.org other than chat-host = %v, want parent-host", h)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"99999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	} {
		if got := RetryAfter(tc.v, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestParseWebhookReply(t *testing.T) {
	r, err := ParseWebhookReply([]byte(`{"ticket": "B-1", "tickets": [{"id": 4, "ticket": "T-4"}], "message": "شكراً"}`))
	if err != nil || r.Ticket != "B-1" || len(r.Tickets) != 1 || r.Tickets[0].ID != 4 || r.Message != "شكراً" {
		t.Errorf("reply = %+v, %v", r, err)
	}
	if r, err := ParseWebhookReply([]byte("  ")); err != nil || r.Ticket != "" {
		t.Errorf("empty reply = %+v, %v", r, err)
	}
	if _, err := ParseWebhookReply([]byte("<html>")); err == nil {
		t.Error("HTML read as a reply")
	}
	long := `{"ticket": "` + strings.Repeat("ت", 300) + `"}`
	if r, err := ParseWebhookReply([]byte(long)); err != nil || len(r.Ticket) > 200 || !strings.HasPrefix(r.Ticket, "ت") {
		t.Errorf("long ticket kept as %d bytes, %v", len(r.Ticket), err)
	}
}

// FuzzParseConfig: no input panics, and an accepted configuration resolves
// any URL without panicking.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(configJSON("https://a.example/hook", `, "batch": 2`, "m.example:25")))
	f.Add([]byte(`{"reporter": {"name": "u"}, "targets": [{"name": "a", "ranges": ["10.0.0.0/8"], "domains": ["x.org"], "bundle": {}}]}`))
	f.Add([]byte(`{"reporter": {"name": "u"}, "rereport_after": "72h", "rereports": 2}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b, "fuzz.json")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			return
		}
		for _, u := range []string{"http://10.1.2.3/", "https://sub.x.org/p", "https://t.me/s/a/1", ""} {
			c.Resolve(post.Web, u)
			c.Resolve(post.Telegram, u)
		}
	})
}

// FuzzParseWebhookReply: no answer panics, and kept texts are bounded
// valid UTF-8.
func FuzzParseWebhookReply(f *testing.F) {
	f.Add([]byte(`{"ticket": "B-1", "tickets": [{"id": 4, "ticket": "T-4"}], "message": "ok"}`))
	f.Add([]byte(`{"tickets": null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseWebhookReply(b)
		if err != nil {
			return
		}
		if len(r.Ticket) > 200 || len(r.Message) > 4000 {
			t.Fatalf("unbounded reply %d/%d bytes", len(r.Ticket), len(r.Message))
		}
	})
}
