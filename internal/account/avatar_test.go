package account

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// TestAvatars: the profile pictures committed posts name are fetched in
// the background through the SSRF-safe client and their PDQ hash kept in
// the registry; each URL once, default pictures never, and a picture of
// too little detail is not kept.
func TestAvatars(t *testing.T) {
	img, err := os.ReadFile("../pdq/testdata/testsrc.png")
	if err != nil {
		t.Fatal(err)
	}
	want, err := pdq.NewHasher().HashBytes(img, 0)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := os.ReadFile("testdata/flat.png")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	hits := map[string]int{}
	hit := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/a.png":
			w.Write(img)
		case "/flat.png":
			w.Write(flat)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	av := &Avatars{Fetch: fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 5 * time.Second}), Store: st}
	mk := func(id, url string) post.Post {
		return post.Post{Author: post.Account{Platform: post.X, ID: id, AvatarURL: url}}
	}
	av.Observe([]post.Post{mk("1", srv.URL+"/a.png"), mk("1", srv.URL+"/a.png"), mk("2", srv.URL+"/flat.png"),
		mk("3", srv.URL+"/default_profile_images/x.png"), mk("4", "")})
	done := make(chan struct{})
	go func() { av.Run(ctx, 2); close(done) }()
	avatar := func(id string) string {
		rec, err := st.AccountRecord(context.Background(), store.AccountRef{Platform: post.X, ID: id})
		if err != nil {
			return ""
		}
		return rec.Avatar
	}
	for deadline := time.Now().Add(10 * time.Second); avatar("1") == "" || hit("/flat.png") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("avatar of account 1 not recorded; server saw %v", hits)
		}
	}
	cancel()
	<-done
	if got := avatar("1"); got != want.PDQ.String() {
		t.Errorf("avatar %s, want the PDQ hash of the picture %s", got, want.PDQ)
	}
	if got := avatar("2"); got != "" {
		t.Errorf("a flat picture was kept as %s", got)
	}
	if hit("/a.png") != 1 || hit("/default_profile_images/x.png") != 0 {
		t.Errorf("server saw %v: want each picture once and no default picture", hits)
	}
}

func TestAvatarURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://pbs.twimg.com/profile_images/1537723907557720064/yZVHXu3C_normal.jpg":   "https://pbs.twimg.com/profile_images/1537723907557720064/yZVHXu3C_400x400.jpg",
		"https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png": "",
		"https://cdn4.telesco.pe/file/abc.jpg":                                           "https://cdn4.telesco.pe/file/abc.jpg",
		"":                                                                               "",
	} {
		if got := avatarURL(in); got != want {
			t.Errorf("avatarURL(%q) = %q, want %q", in, got, want)
		}
	}
}
