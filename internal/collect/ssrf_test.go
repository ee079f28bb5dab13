package collect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/raqib-project/raqib/internal/fetch"
)

// TestSSRF points every connector at loopback, private, link-local
// (metadata) and IPv6 loopback addresses, directly and through a redirect
// from an allowed server: each is refused by the fetcher, and the refusal
// is the source's recorded error.
func TestSSRF(t *testing.T) {
	ctx := context.Background()
	// The redirector listens on 127.0.0.2, the one address allowed, so
	// that a redirect to 127.0.0.1 is refused like the others.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var target string
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
	}))
	redirector.Listener.Close()
	redirector.Listener = ln
	redirector.Start()
	defer redirector.Close()
	only2 := []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	targets := []string{"http://127.0.0.1:9", "http://10.0.0.1", "http://169.254.169.254", "http://[::1]:9"}
	for _, mk := range []func(*testing.T) *upstream{telegramUpstream, feedUpstream, webUpstream, rocketUpstream, xUpstream} {
		u := mk(t)
		for _, to := range targets {
			t.Run(u.kind+" "+to, func(t *testing.T) {
				target = to
				// Directly, with no allow-list at all.
				r := newRig(t, nil, "")
				src := r.watch(t, u, target)
				if _, err := r.collector().Poll(ctx, src); !errors.Is(err, fetch.ErrBlocked) {
					t.Fatalf("direct: %v, want ErrBlocked", err)
				}
				if got := r.reload(t, src); !got.Watch.Failing() {
					t.Errorf("refusal not recorded: %+v", got.Watch)
				}
				// Through a redirect from a server the allow-list admits.
				r = newRig(t, only2, "")
				src = r.watch(t, u, redirector.URL)
				if _, err := r.collector().Poll(ctx, src); !errors.Is(err, fetch.ErrBlocked) {
					t.Fatalf("redirect: %v, want ErrBlocked", err)
				}
			})
		}
	}
}
