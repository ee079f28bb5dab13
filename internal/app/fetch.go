package app

import (
	"fmt"
	"net/url"

	"github.com/raqib-project/raqib/internal/fetch"
)

// fetchSettings are the settings of every command that fetches from the
// outside world.
var fetchSettings = []string{"fetch-allow", "user-agent", "fetch-proxy", "fetch-timeout", "fetch-max-bytes"}

// fetcher returns the one SSRF-safe client as the fetch settings say.
func (c *Config) fetcher() (*fetch.Client, error) {
	allow, err := fetch.ParseAllow(c.FetchAllow)
	if err != nil {
		return nil, fmt.Errorf("--fetch-allow: %w", err)
	}
	fc := fetch.Config{Allow: allow, UserAgent: c.UserAgent, Timeout: c.FetchTimeout, MaxBytes: c.FetchMaxBytes}
	if c.FetchProxy != "" {
		u, err := url.Parse(c.FetchProxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--fetch-proxy %q: want an http:// or https:// URL", c.FetchProxy)
		}
		fc.Proxy = u
	}
	return fetch.New(fc), nil
}
