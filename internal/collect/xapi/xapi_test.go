package xapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
)

// TestTimelineByHandle: a source named by handle looks the user up, then
// reads the user's timeline; a suspended user is an error naming it.
func TestTimelineByHandle(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"title":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/2/users/by/username/example_user":
			w.Write([]byte(`{"data":{"id":"42","name":"مثال","username":"example_user"}}`))
		case "/2/users/by/username/gone_user":
			// What X answers, with status 200, for a suspended account.
			w.Write([]byte(`{"errors":[{"value":"gone_user","detail":"User has been suspended: [gone_user].","title":"Forbidden","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`))
		case "/2/users/42/tweets":
			w.Write([]byte(`{"data":[{"id":"1800000000000000001","text":"منشور تجريبي مكتوب يدويا","author_id":"42",` +
				`"created_at":"2026-03-01T09:00:00.000Z","edit_history_tweet_ids":["1800000000000000001"]}],` +
				`"includes":{"users":[{"id":"42","name":"مثال","username":"example_user"}]},` +
				`"meta":{"newest_id":"1800000000000000001","oldest_id":"1800000000000000001","result_count":1}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	env := collect.Env{
		Client:   fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 5 * time.Second}),
		Getenv:   func(string) string { return "s3cret" },
		MaxPages: 2,
	}
	src := post.Source{Location: srv.URL + "/2/users/by/username/example_user", Watch: &post.Watch{Kind: collect.XAPI, TokenEnv: "X_BEARER"}}
	b, err := Connector{}.Poll(context.Background(), env, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Posts) != 1 || b.Posts[0].Author.ID != "42" || b.Cursor != "1800000000000000001" {
		t.Fatalf("poll by handle: %d posts, cursor %q, paths %v; want the timeline of user 42", len(b.Posts), b.Cursor, asked)
	}
	if asked[0] != "/2/users/by/username/example_user" || asked[1] != "/2/users/42/tweets" {
		t.Errorf("asked %v, want the lookup, then the timeline", asked)
	}
	src.Location = srv.URL + "/2/users/by/username/gone_user"
	if _, err := (Connector{}).Poll(context.Background(), env, src); err == nil || !strings.Contains(err.Error(), "@gone_user: User has been suspended") {
		t.Errorf("suspended user: %v, want an error naming the handle and X's reason", err)
	}
}
