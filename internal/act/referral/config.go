package referral

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// ErrConfig is returned (wrapped, naming the file and field) for a
// referral configuration that cannot be used.
var ErrConfig = errors.New("bad referral configuration")

// Config is the referral configuration file: who reports, on what legal
// basis, and where each platform or host takes reports. It is JSON:
//
//	{
//	  "reporter": {"name": "وحدة الرصد", "email": "unit@example.org"},
//	  "legal_basis": {"ar": "...", "en": "Regulation (EU) 2021/784 ..."},
//	  "rereport_after": "72h", "rereports": 1,
//	  "targets": [
//	    {"name": "telegram", "platforms": ["telegram"], "batch": 20, "pace": "1m",
//	     "webhook": {"url": "https://...", "token_env": "RAQIB_TELEGRAM_TOKEN"}},
//	    {"name": "x", "platforms": ["x"],
//	     "email": {"server": "smtp.example.org:587", "from": "unit@example.org", "to": ["abuse@x.example"],
//	               "user": "unit", "password_env": "RAQIB_SMTP_PASSWORD"}},
//	    {"name": "facebook", "platforms": ["facebook"], "bundle": {"form_url": "https://..."}},
//	    {"name": "hoster-a", "domains": ["chat.example.org"], "ranges": ["203.0.113.0/24"],
//	     "email": {"server": "...", "from": "...", "to": ["abuse@hoster-a.example"]}}
//	  ]
//	}
//
// A target takes the posts of its platforms, or, for hosts, of URLs under
// its domains or (for URLs that name an IP address) in its ranges. Hosts
// are what an admin configured: raqib never looks an owner up on the
// internet. Secrets are named by environment variable, never written in
// the file.
type Config struct {
	Reporter   Reporter `json:"reporter"`
	LegalBasis Text     `json:"legal_basis"`
	Targets    []Target `json:"targets"`
	// RereportAfter is how long after a send the post is checked again; a
	// post still online is reported again, Rereports times, then to its
	// host. Zero turns re-reports off.
	RereportAfter string `json:"rereport_after,omitempty"`
	Rereports     int    `json:"rereports"`

	rereportAfter time.Duration
}

// Reporter is who the referrals come from.
type Reporter struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Text is a text in Arabic and English.
type Text struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

// In returns the text in lang ("ar" or "en"), the other when that one is
// empty.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" || t.AR == "" {
		return t.EN
	}
	return t.AR
}

// Target is one recipient of referrals with its channel: exactly one of
// Email, Webhook and Bundle.
type Target struct {
	Name      string          `json:"name"`
	Platforms []post.Platform `json:"platforms,omitempty"`
	Domains   []string        `json:"domains,omitempty"`
	Ranges    []string        `json:"ranges,omitempty"`
	// Langs are the languages of the messages, in order: ["ar", "en"] by
	// default.
	Langs []string `json:"langs,omitempty"`
	// Batch is the most referrals sent together; Pace the least time
	// between two batches.
	Batch int    `json:"batch,omitempty"`
	Pace  string `json:"pace,omitempty"` // a Go duration: "90s", "1m"

	Email   *EmailChannel   `json:"email,omitempty"`
	Webhook *WebhookChannel `json:"webhook,omitempty"`
	Bundle  *BundleChannel  `json:"bundle,omitempty"`

	ranges []netip.Prefix
	pace   time.Duration
}

// Channel kinds.
const (
	KindEmail   = "email"
	KindWebhook = "webhook"
	KindBundle  = "bundle"
)

// Kind is the kind of t's channel.
func (t *Target) Kind() string {
	switch {
	case t.Email != nil:
		return KindEmail
	case t.Webhook != nil:
		return KindWebhook
	default:
		return KindBundle
	}
}

// EmailChannel sends a batch as one email through an SMTP server.
type EmailChannel struct {
	Server string   `json:"server"` // host:port
	From   string   `json:"from"`
	To     []string `json:"to"`
	User   string   `json:"user,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `json:"password_env,omitempty"`
	// TLS is "starttls" (the default: refuse a server without it), "tls"
	// (implicit TLS, port 465) or "none" (plain text: a local relay only).
	TLS string `json:"tls,omitempty"`
	// CAFile, when set, is a PEM file of the certificate authorities the
	// server's certificate must chain to, for a relay with a private CA;
	// else the system's roots.
	CAFile string `json:"ca_file,omitempty"`
}

// WebhookChannel posts a batch as JSON to a platform's API.
type WebhookChannel struct {
	URL string `json:"url"`
	// TokenEnv names the environment variable holding a bearer token.
	TokenEnv string `json:"token_env,omitempty"`
}

// BundleChannel is for platforms that take reports only through a web
// form: analysts copy each item into FormURL and record the submission.
type BundleChannel struct {
	FormURL string `json:"form_url,omitempty"`
}

// duration reads a Go duration string of field; "" is 0.
func duration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %q: want a duration such as \"72h\": %w", field, v, err)
	}
	return d, nil
}

// selfHosted are platforms whose servers anyone runs: their posts go to
// the host, as no one company answers for them.
var selfHosted = []post.Platform{post.RocketChat, post.Web}

// LoadConfig reads and checks the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("referral configuration: %w", err)
	}
	return ParseConfig(b, path)
}

// ParseConfig reads and checks a configuration; name is the file name
// errors give.
func ParseConfig(b []byte, name string) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrConfig, jsonError(b, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: %w: text after the configuration object", name, ErrConfig)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrConfig, err)
	}
	return &c, nil
}

// jsonError says where in b err happened, by line.
func jsonError(b []byte, err error) string {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return err.Error()
	}
	line := 1 + bytes.Count(b[:min(int(off), len(b))], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

func (c *Config) check() error {
	if c.Reporter.Name == "" {
		return errors.New("reporter.name: required: platforms must know who reports")
	}
	if c.Rereports < 0 {
		return errors.New("rereports: negative")
	}
	var err error
	if c.rereportAfter, err = duration("rereport_after", c.RereportAfter); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range c.Targets {
		t := &c.Targets[i]
		if err := t.check(); err != nil {
			return fmt.Errorf("targets[%d] (%s): %w", i, t.Name, err)
		}
		if seen[t.Name] {
			return fmt.Errorf("targets[%d]: name %q: used twice", i, t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

func (t *Target) check() error {
	if t.Name == "" {
		return errors.New("name: required")
	}
	if len(t.Platforms)+len(t.Domains)+len(t.Ranges) == 0 {
		return errors.New("platforms, domains or ranges: one is required, else the target takes nothing")
	}
	for _, p := range t.Platforms {
		if slices.Contains(selfHosted, p) {
			return fmt.Errorf("platforms: %s is self-hosted: name its servers in domains or ranges", p)
		}
	}
	for i, d := range t.Domains {
		t.Domains[i] = strings.ToLower(strings.Trim(d, "."))
		if t.Domains[i] == "" || strings.ContainsAny(d, "/: ") {
			return fmt.Errorf("domains[%d]: %q is not a domain name", i, d)
		}
	}
	t.ranges = nil
	for i, r := range t.Ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return fmt.Errorf("ranges[%d]: %w", i, err)
		}
		t.ranges = append(t.ranges, p.Masked())
	}
	for i, l := range t.Langs {
		if l != "ar" && l != "en" {
			return fmt.Errorf("langs[%d]: %q: want ar or en", i, l)
		}
	}
	if len(t.Langs) == 0 {
		t.Langs = []string{"ar", "en"}
	}
	if t.Batch < 0 {
		return errors.New("batch: negative")
	}
	var err error
	if t.pace, err = duration("pace", t.Pace); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{t.Email != nil, t.Webhook != nil, t.Bundle != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("email, webhook, bundle: exactly one channel is required")
	}
	switch {
	case t.Email != nil:
		return t.Email.check()
	case t.Webhook != nil:
		u, err := url.Parse(t.Webhook.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("webhook.url: %q is not an http(s) URL", t.Webhook.URL)
		}
	}
	return nil
}

func (e *EmailChannel) check() error {
	if _, _, err := net.SplitHostPort(e.Server); err != nil {
		return fmt.Errorf("email.server: %q: want host:port", e.Server)
	}
	if e.From == "" {
		return errors.New("email.from: required")
	}
	if len(e.To) == 0 {
		return errors.New("email.to: required")
	}
	for i, a := range append([]string{e.From}, e.To...) {
		if strings.ContainsAny(a, "\r\n<>,") || !strings.Contains(a, "@") {
			return fmt.Errorf("email address %d: %q: want one plain address", i, a)
		}
	}
	switch e.TLS {
	case "":
		e.TLS = "starttls"
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("email.tls: %q: want starttls, tls or none", e.TLS)
	}
	if e.User != "" && e.PasswordEnv == "" {
		return errors.New("email.password_env: required with email.user")
	}
	return nil
}

// Target returns the target named name.
func (c *Config) Target(name string) (*Target, bool) {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i], true
		}
	}
	return nil, false
}

// Resolve returns the target of a post of platform at rawURL: the
// platform's, or the host's for self-hosted platforms and platforms with
// no target of their own.
func (c *Config) Resolve(platform post.Platform, rawURL string) (*Target, error) {
	if !slices.Contains(selfHosted, platform) {
		for i := range c.Targets {
			if slices.Contains(c.Targets[i].Platforms, platform) {
				return &c.Targets[i], nil
			}
		}
	}
	if t := c.Host(rawURL, ""); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("%s post at %s: %w", platform, rawURL, ErrNoTarget)
}

// Host returns the host target of rawURL other than the one named not,
// nil when none is configured: a target whose domain is the URL's host or
// a parent of it, the longest first, or, for a URL naming an IP address,
// whose range holds it.
func (c *Config) Host(rawURL, not string) *Target {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	var best *Target
	bestLen := 0
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.Name == not {
			continue
		}
		for _, d := range t.Domains {
			if (host == d || strings.HasSuffix(host, "."+d)) && len(d) > bestLen {
				best, bestLen = t, len(d)
			}
		}
	}
	if best != nil {
		return best
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.Name == not {
			continue
		}
		for _, r := range t.ranges {
			if r.Contains(ip.Unmap()) && r.Bits() > bestLen {
				best, bestLen = t, r.Bits()
			}
		}
	}
	return best
}
