package liveness

import (
	"os"
	"path/filepath"
	"testing"
)

func TestClassify(t *testing.T) {
	page := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "pages", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		p    Page
		want Outcome
	}{
		{"200 plain", Page{URL: "https://example.org/a", Status: 200, Body: []byte("<html>hi</html>")}, Up},
		{"404", Page{URL: "https://example.org/a", Status: 404}, GoneOutcome},
		{"410", Page{URL: "https://example.org/a", Status: 410}, GoneOutcome},
		{"451", Page{URL: "https://example.org/a", Status: 451}, Withheld},
		{"500", Page{URL: "https://example.org/a", Status: 500}, Transient},
		{"503", Page{URL: "https://example.org/a", Status: 503}, Transient},
		{"429", Page{URL: "https://example.org/a", Status: 429}, Transient},
		{"403", Page{URL: "https://example.org/a", Status: 403}, LoginWall},
		{"no response", Page{URL: "https://example.org/a"}, Transient},
		{"bad url", Page{URL: "://", Status: 200}, Unknown},

		{"x online", Page{URL: "https://x.com/example_acct/status/1", Status: 200, Body: page("x-online.html")}, Up},
		{"x suspended", Page{URL: "https://x.com/example_acct", Status: 200, Body: page("x-suspended.html")}, GoneOutcome},
		{"x missing post (typographic apostrophe)", Page{URL: "https://twitter.com/example_acct/status/1", Status: 200, Body: page("x-missing.html")}, GoneOutcome},
		{"x withheld", Page{URL: "https://x.com/example_acct", Status: 200, Body: page("x-withheld.html")}, Withheld},
		{"x login redirect", Page{URL: "https://x.com/example_acct/status/1", FinalURL: "https://x.com/i/flow/login?redirect_after_login=%2Fexample_acct", Status: 200, Body: page("x-online.html")}, LoginWall},

		{"facebook online", Page{URL: "https://www.facebook.com/examplepage/posts/1", Status: 200, Body: page("facebook-online.html")}, Up},
		{"facebook unavailable", Page{URL: "https://www.facebook.com/examplepage/posts/1", Status: 200, Body: page("facebook-unavailable.html")}, GoneOutcome},
		{"facebook withheld", Page{URL: "https://m.facebook.com/examplepage/posts/1", Status: 200, Body: page("facebook-withheld.html")}, Withheld},
		{"facebook login.php", Page{URL: "https://www.facebook.com/examplepage/posts/1", FinalURL: "https://www.facebook.com/login.php?next=x", Status: 200, Body: page("facebook-unavailable.html")}, LoginWall},

		{"youtube online", Page{URL: "https://www.youtube.com/watch?v=AAAAAAAAAAA", Status: 200, Body: page("youtube-online.html")}, Up},
		{"youtube removed", Page{URL: "https://www.youtube.com/watch?v=AAAAAAAAAAA", Status: 200, Body: page("youtube-removed.html")}, GoneOutcome},
		{"youtube terminated", Page{URL: "https://youtu.be/AAAAAAAAAAA", Status: 200, Body: page("youtube-terminated.html")}, GoneOutcome},
		{"youtube withheld", Page{URL: "https://www.youtube.com/watch?v=AAAAAAAAAAA", Status: 200, Body: page("youtube-withheld.html")}, Withheld},
		{"youtube age gate", Page{URL: "https://www.youtube.com/watch?v=AAAAAAAAAAA", Status: 200, Body: page("youtube-age.html")}, LoginWall},
		{"youtube sign-in redirect", Page{URL: "https://www.youtube.com/watch?v=AAAAAAAAAAA", FinalURL: "https://accounts.google.com/ServiceLogin?continue=x", Status: 200}, LoginWall},

		{"telegram post there", Page{URL: "https://t.me/s/example_chan/102", Status: 200, Body: page("telegram-s-online.html")}, Up},
		{"telegram post there, name in other case", Page{URL: "https://t.me/s/Example_Chan/104", Status: 200, Body: page("telegram-s-online.html")}, Up},
		{"telegram post not found", Page{URL: "https://t.me/s/example_chan/103", Status: 200, Body: page("telegram-s-online.html")}, GoneOutcome},
		{"telegram channel preview there", Page{URL: "https://t.me/s/example_chan", Status: 200, Body: page("telegram-s-online.html")}, Up},
		{"telegram channel missing (redirected off /s/)", Page{URL: "https://t.me/s/missing_chan/5", FinalURL: "https://t.me/missing_chan", Status: 200, Body: page("telegram-channel-missing.html")}, GoneOutcome},
		{"telegram channel page missing", Page{URL: "https://t.me/missing_chan", Status: 200, Body: page("telegram-channel-missing.html")}, GoneOutcome},
		{"telegram channel page there", Page{URL: "https://t.me/example_chan", Status: 200, Body: page("telegram-channel-online.html")}, Up},
		{"telegram embed post not found", Page{URL: "https://t.me/example_chan/103?embed=1", Status: 200, Body: page("telegram-embed-notfound.html")}, GoneOutcome},

		{"news site quoting removal phrases", Page{URL: "https://news.example/article", Status: 200, Body: page("news-quoting.html")}, Up},
		{"x phrases on another host", Page{URL: "https://example.org/x", Status: 200, Body: page("x-suspended.html")}, Up},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.p); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	cs := []Check{{At: t0, Outcome: Up, Status: 200}, {At: t0.Add(5 * 60e9), Outcome: Transient}, {At: t0.Add(3600e9), Outcome: GoneOutcome, Status: 404}}
	got, err := DecodeHistory(EncodeHistory(cs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cs) {
		t.Fatalf("decoded %d checks, want %d", len(got), len(cs))
	}
	for i := range cs {
		if !got[i].At.Equal(cs[i].At) || got[i].Outcome != cs[i].Outcome || got[i].Status != cs[i].Status {
			t.Errorf("check %d = %+v, want %+v", i, got[i], cs[i])
		}
	}
	if _, err := DecodeHistory([]byte{0x80}); err == nil {
		t.Error("a truncated history decoded without error")
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("https://t.me/s/a/1", "", 200, []byte(`<div class="tgme_channel_info"></div><div data-post="a/1">`))
	f.Add("https://x.com/a", "https://x.com/i/flow/login", 200, []byte("Account suspended"))
	f.Add("https://www.youtube.com/watch?v=1", "", 200, []byte(`"playabilityStatus":{"status":"ERROR"`))
	f.Fuzz(func(t *testing.T, u, final string, status int, body []byte) {
		o := Classify(Page{URL: u, FinalURL: final, Status: status, Body: body})
		if o > Transient {
			t.Fatalf("outcome %d out of range", o)
		}
	})
}

func FuzzDecodeHistory(f *testing.F) {
	f.Add(EncodeHistory([]Check{{At: t0, Outcome: Up, Status: 200}}))
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeHistory(b)
		if err != nil {
			return
		}
		if again := EncodeHistory(cs); len(again) > len(b) {
			t.Fatalf("re-encoding %x grew to %x", b, again)
		}
	})
}
