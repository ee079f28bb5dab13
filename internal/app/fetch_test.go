package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/raqib-project/raqib/internal/fetch"
)

func TestFetcherSettings(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.UserAgent()) }))
	defer srv.Close()
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		wantUA  string
	}{
		{"loopback refused by default", Config{}, fetch.ErrBlocked, ""},
		{"allowed by --fetch-allow", Config{FetchAllow: []string{"127.0.0.1"}, UserAgent: "unit-42"}, nil, "unit-42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cfg.fetcher()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(context.Background(), srv.URL)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Get = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if b, _ := io.ReadAll(resp.Body); string(b) != tt.wantUA {
				t.Fatalf("User-Agent %q, want %q", b, tt.wantUA)
			}
		})
	}
	for _, bad := range []Config{{FetchAllow: []string{"nope"}}, {FetchProxy: "socks5://x"}, {FetchProxy: "::"}} {
		if _, err := bad.fetcher(); err == nil {
			t.Errorf("fetcher(%+v) accepted", bad)
		}
	}
}
