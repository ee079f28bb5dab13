package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func TestRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	redirect := func(to string) string {
		return "http://127.0.0.1" + port + "/redirect?to=" + url.QueryEscape(to)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv.Config.Handler = mux

	tests := []struct {
		name  string
		url   string
		allow []netip.Prefix
		want  error
	}{
		{"loopback", srv.URL, nil, ErrBlocked},
		{"loopback allowed", srv.URL, loopback, nil},
		{"private", "http://10.0.0.1/", nil, ErrBlocked},
		{"metadata", "http://169.254.169.254/latest/meta-data/", nil, ErrBlocked},
		{"ipv6 loopback", "http://[::1]" + port + "/", nil, ErrBlocked},
		{"ipv4-mapped ipv6 loopback", "http://[::ffff:127.0.0.1]" + port + "/", nil, ErrBlocked},
		{"name resolving to loopback", "http://localhost" + port + "/", nil, ErrBlocked},
		{"unspecified", "http://0.0.0.0" + port + "/", nil, ErrBlocked},
		{"shared address space", "http://100.64.0.1/", nil, ErrBlocked},
		{"redirect to private", redirect("http://10.0.0.1/"), loopback, ErrBlocked},
		{"redirect to metadata", redirect("http://169.254.169.254/"), loopback, ErrBlocked},
		{"redirect to other loopback", redirect("http://127.0.0.2" + port + "/"), loopback, ErrBlocked},
		{"redirect within allowed", redirect(srv.URL + "/x"), loopback, nil},
		{"redirect to file", redirect("file:///etc/passwd"), loopback, ErrScheme},
		{"file scheme", "file:///etc/passwd", nil, ErrScheme},
		{"gopher scheme", "gopher://127.0.0.1/", loopback, ErrScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{Allow: tt.allow, Timeout: 5 * time.Second})
			resp, err := c.Get(context.Background(), tt.url)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Get(%s) = %v", tt.url, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "ok" {
					t.Fatalf("body = %q, %v", b, err)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get(%s) = %v, want %v", tt.url, err, tt.want)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true}, {"2a00:1450:4001:81c::200e", true}, {"93.184.216.34", true},
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"fd00:ec2::254", false}, {"::1", false}, {"fe80::1", false},
		{"::ffff:10.0.0.1", false}, {"64:ff9b::a00:1", false}, {"2002:a00:1::", false}, {"224.0.0.1", false},
		{"255.255.255.255", false}, {"0.0.0.0", false}, {"198.18.0.1", false},
	} {
		if got := Public(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Public(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestCaps(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2000)) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			w.Write(make([]byte, 100))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 1000)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ua", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.UserAgent()) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := New(Config{Allow: loopback, MaxBytes: 1000, Timeout: 500 * time.Millisecond, MaxRedirects: 3, UserAgent: "raqib-test"})
	read := func(path string) (string, error) {
		resp, err := c.Get(context.Background(), srv.URL+path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	for _, tt := range []struct {
		path string
		want error
	}{{"/big", ErrTooLarge}, {"/chunked", ErrTooLarge}, {"/exact", nil}, {"/loop", ErrRedirects}} {
		t.Run(tt.path, func(t *testing.T) {
			if _, err := read(tt.path); !errors.Is(err, tt.want) {
				t.Fatalf("%s: %v, want %v", tt.path, err, tt.want)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		if _, err := read("/slow"); err == nil {
			t.Fatal("slow response did not time out")
		}
	})
	t.Run("user agent", func(t *testing.T) {
		if ua, err := read("/ua"); err != nil || ua != "raqib-test" {
			t.Fatalf("User-Agent %q, %v", ua, err)
		}
	})
}

func TestRedactsSecrets(t *testing.T) {
	c := New(Config{})
	_, err := c.Get(context.Background(), "ftp://user:hunter2@example.org/x?token=s3cret")
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v leaks a secret", err)
	}
}

func TestProxyChecksTarget(t *testing.T) {
	var proxied int
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied++
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	c := New(Config{Proxy: pu})
	for _, target := range []string{"http://10.0.0.1/", "http://127.0.0.1/", "http://localhost/"} {
		if _, err := c.Get(context.Background(), target); !errors.Is(err, ErrBlocked) {
			t.Errorf("via proxy %s: %v, want ErrBlocked", target, err)
		}
	}
	resp, err := c.Get(context.Background(), "http://93.184.216.34/")
	if err != nil {
		t.Fatalf("public target via proxy: %v", err)
	}
	resp.Body.Close()
	if proxied != 1 {
		t.Fatalf("proxy saw %d requests, want 1", proxied)
	}
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow([]string{"127.0.0.1", "10.0.0.0/8", " ::1 ", ""})
	if err != nil || len(got) != 3 || got[0].String() != "127.0.0.1/32" || got[2].String() != "::1/128" {
		t.Fatalf("ParseAllow = %v, %v", got, err)
	}
	if _, err := ParseAllow([]string{"not-an-ip"}); err == nil {
		t.Fatal("bad CIDR accepted")
	}
}
