package collect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
)

// TestReceive pushes the Rocket.Chat API's real example to a webhook
// source: unsigned, wrongly signed, for an unknown source or a source of
// another kind it is refused; signed, its posts are committed once however
// often it is delivered.
func TestReceive(t *testing.T) {
	ctx := context.Background()
	body := readShared(t, "rocketchat-openapi", "example_channels_history.json")
	r := newRig(t, nil, "")
	r.env.Getenv = envMap{"HOOK_SECRET": "partner-secret"}.get
	src, err := collect.NewSource(collect.Webhook, "partner-a", collect.Options{TokenEnv: "HOOK_SECRET", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.st.Watch(ctx, src); err != nil {
		t.Fatal(err)
	}
	feed, _ := collect.NewSource(collect.Feed, "https://news.example.invalid/rss", collect.Options{})
	if err := r.st.Watch(ctx, feed); err != nil {
		t.Fatal(err)
	}
	c := r.collector()
	good := collect.Sign([]byte("partner-secret"), body)
	for name, tc := range map[string]struct{ id, sig string }{
		"unsigned":      {src.ID, ""},
		"other secret":  {src.ID, collect.Sign([]byte("guess"), body)},
		"no prefix":     {src.ID, good[len("sha256="):]},
		"unknown":       {"nope", good},
		"not a webhook": {feed.ID, good},
	} {
		if _, err := c.Receive(ctx, tc.id, body, tc.sig); !errors.Is(err, collect.ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	if r.stored(t) != 0 {
		t.Fatal("a refused push stored posts")
	}
	for range 2 {
		res, err := c.Receive(ctx, src.ID, body, good)
		if err != nil || res.Posts != 4 {
			t.Fatalf("signed push: %+v, %v", res, err)
		}
	}
	if r.stored(t) != 4 || r.in.Inserted != 4 {
		t.Fatalf("%d stored, %d inserted; want 4 once", r.stored(t), r.in.Inserted)
	}
	got := r.reload(t, src)
	if got.Posts != 4 || got.Watch.LastSuccess.IsZero() {
		t.Errorf("source after pushes: %+v %+v", got, got.Watch)
	}
	if err := r.st.SetPaused(ctx, src.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Receive(ctx, src.ID, body, good); !errors.Is(err, collect.ErrPaused) {
		t.Errorf("paused: %v", err)
	}
}
