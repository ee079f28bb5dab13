package evidence

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPageRequisites: a live page is kept with what it needs to be shown
// (the preview image, images, style sheets, scripts), each once, resolved
// against the page; data: URIs are skipped, a requisite the SSRF-safe
// client refuses is a problem of the manifest, and the count is bounded.
func TestPageRequisites(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/p/1":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<html><head><meta property="og:image" content="http://%s/og.jpg">
<link rel="stylesheet" href="/s.css"><script src="app.js"></script></head>
<body><p>باقية وتتمدد</p><img src="/a.png"><img src="/a.png#again"><img src="data:image/png;base64,AAAA">
<img src="http://10.0.0.1/private.png"></body></html>`, r.Host)
		case "/missing.png":
			http.NotFound(w, r)
		default:
			io.WriteString(w, "resource "+r.URL.Path)
		}
	}))
	defer srv.Close()
	capture := func(limit int) ([]string, Manifest) {
		k := &Keeper{Fetch: allowLoopback, MaxRequisites: limit, Now: func() time.Time { return testNow }}
		var uris []string
		add := func(r *Record, _ string) error {
			if r.Type == WARCResponse {
				uris = append(uris, strings.TrimPrefix(r.TargetURI, srv.URL))
			}
			return nil
		}
		var m Manifest
		if err := k.capturePage(context.Background(), srv.URL+"/p/1", "telegram:c:1", add, &m); err != nil {
			t.Fatal(err)
		}
		return uris, m
	}
	uris, m := capture(0)
	want := []string{"/p/1", "/og.jpg", "/a.png", "/s.css", "/p/app.js"}
	if !slices.Equal(uris, want) {
		t.Errorf("kept responses %v, want %v", uris, want)
	}
	if len(m.Problems) != 1 || !strings.Contains(m.Problems[0], "10.0.0.1") {
		t.Errorf("problems %v, want the refused private address only", m.Problems)
	}
	if uris, _ := capture(2); len(uris) != 3 {
		t.Errorf("with at most 2 requisites kept %v", uris)
	}
}
