package app

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/review"
)

// Config is every setting of every command. Each field has a flag and a
// RAQIB_* environment variable; a flag given on the command line wins over
// the environment, which wins over the default.
type Config struct {
	Data          string
	DemoData      string
	Store         string
	Addr          string
	NATS          string
	NATSListen    string
	NATSNamespace string
	Workers       int
	Format        string
	Batch         int
	LogLevel      string
	LogFormat     string
	Progress      string
	Lexicon       string
	Model         string
	Timeout       time.Duration
	CPUProfile    string
	ActionQuota   int
	RecycledTexts int
	Texts         string
	MaxRecord     int64
	MaxUnpacked   int64
	// Text inside images at ingest (serve, worker, ingest, demo).
	OCR        string
	OCRWorkers int
	OCRBudget  time.Duration

	// Detection evaluation and training (eval, train).
	Datasets []string
	Holdout  []string
	Positive []string
	CV       int
	Seed     int
	Out      string
	JSON     bool

	// Hash banks (bank, hash).
	Bank         string
	BankKind     string
	BankDistance int
	BankFormat   string
	BankSource   string
	MaxPixels    int

	// Outbound fetching (liveness, collection, webhooks, evidence).
	FetchAllow    []string
	UserAgent     string
	FetchProxy    string
	FetchTimeout  time.Duration
	FetchMaxBytes int64

	// Evidence (evidence).
	TSAURL            string
	TSACert           string
	EvidenceRetention time.Duration
	EvidenceMaxPosts  int
	EvidenceMaxReqs   int
	Package           string

	// Liveness re-checks (serve, worker) and the removal report (report).
	LivenessIntervals    []string
	LivenessConfirm      int
	LivenessConfirmAfter time.Duration
	LivenessJitter       int
	LivenessConcurrency  int
	LivenessTrackPosts   bool
	FetchAvatars         bool
	ReportFrom           string
	ReportTo             string
	ReportFormat         string

	// Audit trail (audit list).
	Actor string
	Since string

	// Live collection (serve, worker, source).
	Collect         bool
	CollectParallel int
	CollectPages    int
	SourceKind      string
	Every           time.Duration
	TokenEnv        string
	Selector        string

	// Review (serve, export decisions).
	ReviewSLA string
	ExportOut string
	// Users, sessions and network safety (serve, demo, user, token).
	Hosts             []string
	TLSCert, TLSKey   string
	TrustedProxies    []string
	InsecureListen    bool
	MetricsOpen       bool
	SessionIdle       time.Duration
	SessionMax        time.Duration
	LoginWindow       time.Duration
	LoginUserFailures int
	LoginIPFailures   int
	Role              string
	// Referrals (refer, referral, serve, worker).
	Referrals        string
	ReferralApproval bool
	ReferralEvery    time.Duration
	Ticket           string
	Reply            string
	// Accounts and networks: lifecycle rules and graph export.
	NewAccountAge time.Duration
	DormantAfter  time.Duration
	GraphFormat   string
	Evidence      string

	// Set by the command line, not settings.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment, where sources' credentials are.
	Getenv func(string) string
	// Now is the clock of liveness checks and referral sends, time.Now
	// when nil: tests set it to step through days of re-checks at once.
	Now func() time.Time
	// shareQueue lets other raqib processes on the same data directory use
	// this one's embedded queue: set by the long-running commands.
	shareQueue bool
}

// setting describes one Config field for flags, env and help.
type setting struct {
	name  string // flag name; the env var is RAQIB_ + upper(name) with - as _
	def   string
	usage string
	bind  func(fs *flag.FlagSet, name, def, usage string)
	// env overrides the variable name RAQIB_<NAME>.
	env string
	// flag overrides the flag name where the setting's name reads badly as
	// a flag: one --dataset per data set, collected into datasets.
	flag string
}

func (s setting) envName() string {
	if s.env != "" {
		return s.env
	}
	return EnvName(s.name)
}

func (s setting) flagName() string {
	if s.flag != "" {
		return s.flag
	}
	return s.name
}

// listFlag is a repeatable flag; the environment gives a comma-separated
// list.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listFlag) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l.p = append(*l.p, x)
		}
	}
	return nil
}

func (c *Config) settings() []setting {
	str := func(p *string) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) { fs.StringVar(p, n, d, u) }
	}
	num := func(p *int) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			v, _ := strconv.Atoi(d)
			fs.IntVar(p, n, v, u)
		}
	}
	list := func(p *[]string) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			*p = nil
			if d != "" {
				listFlag{p}.Set(d)
			}
			// Values given on the command line replace the default.
			fs.Var(&replacingList{listFlag: listFlag{p}}, n, u)
		}
	}
	boolean := func(p *bool) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			v, _ := strconv.ParseBool(d)
			fs.BoolVar(p, n, v, u)
		}
	}
	size := func(p *int64) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			*p, _ = parseSize(d)
			fs.Var(sizeValue{p}, n, u)
		}
	}
	dur := func(p *time.Duration) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(p, n, v, u)
		}
	}
	return []setting{
		{"data", "./raqib-data", "data directory: database, queue and evidence live here", str(&c.Data), "", ""},
		// The demo has its own variable: RAQIB_DATA, set for real work, must
		// not pull the fictional demo posts into the analysts' data.
		{name: "demo-data", flag: "data", env: "RAQIB_DEMO_DATA", usage: "keep the demo's data directory here and re-use it on the next run; empty uses a temporary directory removed on exit", bind: str(&c.DemoData)},
		{"store", "", "PostgreSQL URL (postgres://...) for scale-out; empty keeps the embedded SQLite database in --data", str(&c.Store), "", ""},
		{"addr", "127.0.0.1:8080", "address the web UI and API listen on", str(&c.Addr), "", ""},
		{"nats", "", "URL of an external NATS JetStream server; empty runs one inside the process", str(&c.NATS), "", ""},
		{"nats-listen", "", "also expose the embedded NATS server on `host:port` (e.g. 127.0.0.1:4333) so that raqib worker processes can join", str(&c.NATSListen), "", ""},
		{"nats-namespace", "raqib", "prefix of stream and subject names, to share one NATS cluster", str(&c.NATSNamespace), "", ""},
		{"workers", strconv.Itoa(runtime.NumCPU()), "concurrent pipeline workers in this process", num(&c.Workers), "", ""},
		{"format", "", "input format (telegram, whatsapp, xapi, xarchive, rocketchat, feed, text, jsonl); empty detects it per file", str(&c.Format), "", ""},
		{"batch", "500", "most posts per queue message (batches are split further to fit the queue's message size)", num(&c.Batch), "", ""},
		{"log-level", "info", "log level: debug, info, warn, error", str(&c.LogLevel), "", ""},
		{"log-format", "text", "log format: text or json", str(&c.LogFormat), "", ""},
		{"progress", "auto", "progress bar on stderr: auto (when a terminal), always, never", str(&c.Progress), "", ""},
		{"lexicon", "", "directory of analyst lexicon files (*.tsv) used instead of the built-in lexicon; reloaded on change", str(&c.Lexicon), "", ""},
		{"model", "", "classifier model file used instead of the built-in model", str(&c.Model), "", ""},
		{"timeout", "0s", "give up after this long (0 waits for ever)", dur(&c.Timeout), "", ""},
		{"action-quota", "1000", "how often each automated action (alerts) may run a day, across all workers: a circuit breaker", num(&c.ActionQuota), "", ""},
		{"recycled-texts", "16384", "violating texts each worker keeps in memory to recognize their recycled copies (about 1.3 KB each); older ones are left to the hash banks", num(&c.RecycledTexts), "", ""},
		{"max-record", "64MiB", "largest single record (message, line, item) an import reads; a larger one is rejected with its size", size(&c.MaxRecord), "", ""},
		{"max-unpacked", "4GiB", "most bytes an import unpacks from one zip; the rest is rejected", size(&c.MaxUnpacked), "", ""},
		{"cpu-profile", "", "write a CPU profile (go tool pprof) of the measured run to this file", str(&c.CPUProfile), "", ""},
		{"texts", "varied", "text mix of bench ingest: varied (every text new) or recycled (6-30 words of a 33-word vocabulary by 50,000 authors, as a propaganda campaign re-posts)", str(&c.Texts), "RAQIB_BENCH_TEXTS", ""},
		{name: "datasets", flag: "dataset", usage: "data set to evaluate or train on, `FORMAT:PATH` or PATH (alfifi, csv, astd, osact, text, lines, decisions); repeatable", bind: list(&c.Datasets)},
		{"holdout", "", "data set scored but never trained on (seed articles, hard negatives); repeatable", list(&c.Holdout), "", ""},
		{"positive", "ISIS", "label values of CSV data sets that count as violating; comma-separated", list(&c.Positive), "", ""},
		{"cv", "0", "k-fold cross-validation: train on k-1 folds, score the held-out fold (0: score the model as it is)", num(&c.CV), "", ""},
		{"seed", "1", "random seed of training (same data and seed give the same model)", num(&c.Seed), "", ""},
		{"out", "raqib.model", "where train writes the model (and OUT.json, its provenance)", str(&c.Out), "", ""},
		{"json", "false", "print machine-readable JSON", boolean(&c.JSON), "", ""},
		{"bank", "", "hash bank name", str(&c.Bank), "", ""},
		{"kind", "imported", "kind of a new bank: own, partner, imported, negative (negative banks suppress matches)", str(&c.BankKind), "RAQIB_BANK_KIND", ""},
		{"distance", "31", "largest PDQ Hamming distance that matches a new bank's entries", num(&c.BankDistance), "RAQIB_BANK_DISTANCE", ""},
		{"bank-format", "csv", "hash list format: csv, hma (ThreatExchange/HMA PDQ CSV), tat (Tech Against Terrorism JSON)", str(&c.BankFormat), "", ""},
		{"source", "", "where a new bank's list comes from (shown with every match)", str(&c.BankSource), "RAQIB_BANK_SOURCE", ""},
		{"actor", "", "list only the audit entries of this actor", str(&c.Actor), "", ""},
		{"since", "", "only the audit entries (audit list) or decisions (export decisions) at or after this time: RFC 3339 (2026-03-01T09:00:00Z), a date (2026-03-01) or a duration back from now (24h)", str(&c.Since), "", ""},
		{"review-sla", review.DefaultSLA, "how long a case may wait for a decision, by severity tier, as TIER=DURATION pairs (tier 0: cases without a tier); the queues show each case's deadline", str(&c.ReviewSLA), "", ""},
		{name: "export-out", flag: "out", env: "RAQIB_EXPORT_OUT", usage: "write the export to this file (replaced whole, or left as it was on error) instead of standard output", bind: str(&c.ExportOut)},
		{"hosts", "", "more Host names the server answers to, comma-separated (it always answers to the --addr host, localhost, 127.0.0.1 and [::1]; any other Host is refused, against DNS rebinding)", list(&c.Hosts), "", ""},
		{"tls-cert", "", "TLS certificate `file` (PEM); with --tls-key the server speaks HTTPS and marks cookies Secure", str(&c.TLSCert), "", ""},
		{"tls-key", "", "TLS private key `file` (PEM) of --tls-cert", str(&c.TLSKey), "", ""},
		{"trusted-proxy", "", "`CIDR`s of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated", list(&c.TrustedProxies), "", ""},
		{"insecure-listen", "false", "allow listening on a non-loopback address without TLS (only on a network you trust, or behind a TLS proxy)", boolean(&c.InsecureListen), "", ""},
		{"metrics-open", "false", "serve /metrics without a token (by default it needs a token or user with the metrics permission)", boolean(&c.MetricsOpen), "", ""},
		{"session-idle", "30m", "a session unused this long ends", dur(&c.SessionIdle), "", ""},
		{"session-max", "12h", "a session ends this long after sign-in, however used", dur(&c.SessionMax), "", ""},
		{"login-window", "15m", "failed sign-ins are counted over this window; at a limit, sign-in is locked until they age out", dur(&c.LoginWindow), "", ""},
		{"login-user-failures", "5", "failed sign-ins of one user name within --login-window that lock it", num(&c.LoginUserFailures), "", ""},
		{"login-ip-failures", "20", "failed sign-ins from one address within --login-window that lock it", num(&c.LoginIPFailures), "", ""},
		{"role", "analyst", "role of a new user or token: analyst, senior, admin, auditor, monitor", str(&c.Role), "", ""},
		{"fetch-allow", "", "addresses (CIDR or IP) fetched although not public, e.g. an intranet service; by default every loopback, private, link-local and metadata address is refused; comma-separated", list(&c.FetchAllow), "", ""},
		{"user-agent", fetch.DefaultUserAgent, "User-Agent of every outbound request", str(&c.UserAgent), "", ""},
		{"fetch-proxy", "", "HTTP(S) proxy `URL` for every outbound request; empty connects directly", str(&c.FetchProxy), "", ""},
		{"fetch-timeout", fetch.DefaultTimeout.String(), "longest an outbound request may take, body included", dur(&c.FetchTimeout), "", ""},
		{"fetch-max-bytes", "32MiB", "largest response body an outbound request reads; a longer one fails", size(&c.FetchMaxBytes), "", ""},
		{"tsa-url", "", "RFC 3161 time-stamping authority `URL` that stamps every evidence manifest; empty leaves them unstamped", str(&c.TSAURL), "", ""},
		{"tsa-cert", "", "PEM `FILE` of the time-stamping authority's certificates to trust when verifying timestamps", str(&c.TSACert), "", ""},
		{"evidence-retention", "4380h", "how long evidence is kept before evidence prune deletes it (TCO asks six months)", dur(&c.EvidenceRetention), "", ""},
		{"evidence-max-posts", "200", "most posts of one case an evidence capture keeps", num(&c.EvidenceMaxPosts), "", ""},
		{"evidence-max-requisites", "32", "most page requisites (images, style sheets, scripts) kept with each live page an evidence capture fetches", num(&c.EvidenceMaxReqs), "", ""},
		{"liveness-intervals", "5m,15m,30m,1h,2h,4h,8h,12h,24h", "waits between re-checks of a referred URL: the n-th wait after n checks, the last repeating (dense in the first hours, sparse later); comma-separated", list(&c.LivenessIntervals), "", ""},
		{"liveness-confirm", "2", "consecutive checks that must find content gone (or withheld) to confirm its removal", num(&c.LivenessConfirm), "", ""},
		{"liveness-confirm-after", "5m", "wait before re-checking content first seen gone", dur(&c.LivenessConfirmAfter), "", ""},
		{"liveness-jitter", "10", "each wait between checks is scaled by a random factor within this many percent, so that items referred together are not checked together", num(&c.LivenessJitter), "", ""},
		{"liveness-concurrency", "8", "liveness checks run at once in this process", num(&c.LivenessConcurrency), "", ""},
		{"fetch-avatars", "false", "fetch the profile pictures that collected posts name (X, Telegram channels) and keep their PDQ hash for successor linking; off, raqib contacts no platform's image servers for it", boolean(&c.FetchAvatars), "", ""},
		{"liveness-track-posts", "false", "also watch every violating post that has a URL (channel none: the baseline referred items are compared with)", boolean(&c.LivenessTrackPosts), "", ""},
		{"from", "", "report on items referred at or after this time: RFC 3339, a date or a duration back from now (720h)", str(&c.ReportFrom), "RAQIB_REPORT_FROM", ""},
		{"to", "", "report on items referred before this time (same forms as --from); empty: up to now", str(&c.ReportTo), "RAQIB_REPORT_TO", ""},
		{name: "report-format", flag: "format", def: "csv", env: "RAQIB_REPORT_FORMAT", usage: "report format: html (a page with charts, Arabic and English), csv or json", bind: str(&c.ReportFormat)},
		{"package", "", "evidence package (`FILE.zip`) that evidence verify checks on its own, as its recipient would", str(&c.Package), "", ""},
		{"referrals", "", "referral configuration `file` (JSON: reporter, legal basis, targets with their email, webhook or bundle channel, host mapping, re-reports); empty turns referrals off", str(&c.Referrals), "", ""},
		{"referral-approval", "false", "referrals of a confirmed case wait until a second person with the senior role approves them", boolean(&c.ReferralApproval), "", ""},
		{"referral-every", "30s", "how often serve and worker look for due referrals to send and sent ones to follow up", dur(&c.ReferralEvery), "", ""},
		{"ticket", "", "the platform's ticket id, for referral reply and referral submit", str(&c.Ticket), "", ""},
		{"reply", "", "the platform's answer to a referral, for referral reply", str(&c.Reply), "", ""},
		{"new-account-age", "168h", "an account the platform says was created less than this before it posts is new (lifecycle signal)", dur(&c.NewAccountAge), "", ""},
		{"dormant-after", "720h", "an account silent this long that posts again is reactivated (lifecycle signal)", dur(&c.DormantAfter), "", ""},
		{name: "graph-format", flag: "format", env: "RAQIB_GRAPH_FORMAT", def: "gexf", usage: "graph export format: gexf (Gephi) or graphml", bind: str(&c.GraphFormat)},
		{"evidence", "", "what shows an account's status change (a URL and what it answered, a report number); required by accounts status", str(&c.Evidence), "", ""},
		{"collect", "true", "poll the watched sources (raqib source add) in this process; with several serve/worker processes each source has one owner", boolean(&c.Collect), "", ""},
		{"collect-parallel", "4", "most polls of watched sources running at once in this process", num(&c.CollectParallel), "", ""},
		{"collect-pages", "5", "most pages a poll reads: the history a new source starts with, and the back-paging of Rocket.Chat", num(&c.CollectPages), "", ""},
		{name: "source-kind", flag: "kind", usage: "kind of a source: telegram-web, feed, rocketchat, xapi, web, webhook", bind: str(&c.SourceKind)},
		{"every", "10m", "how often a new source is polled", dur(&c.Every), "", ""},
		{"token-env", "", "name of the environment variable holding a source's credential (X bearer token, Rocket.Chat USER_ID:AUTH_TOKEN, webhook HMAC secret); the credential itself is never stored", str(&c.TokenEnv), "", ""},
		{"selector", "", "CSS selector of one item on a watched web page (--kind web)", str(&c.Selector), "", ""},
		{"max-pixels", "100000000", "largest image (width x height) decoded for hashing, refused from its header; PNG is read a row at a time, JPEG, GIF and WebP are decoded whole", num(&c.MaxPixels), "", ""},
		{"ocr", "auto", "read the text inside imported images and video keyframes with Tesseract and check it as an OCR-text signal: auto (when tesseract with Arabic is installed), on (fail without it), off; readings are kept by file hash, so an image is read once", str(&c.OCR), "", ""},
		{"ocr-workers", strconv.Itoa(max(1, runtime.NumCPU()/2)), "Tesseract processes running at once in this process (about 0.5 s of CPU per image)", num(&c.OCRWorkers), "", ""},
		{"ocr-budget", "30s", "longest one batch spends reading images not read before; the rest of its images are left unread so that media-heavy imports are not held up (0: no limit)", dur(&c.OCRBudget), "", ""},
	}
}

// EnvName is the environment variable of a setting.
func EnvName(flagName string) string {
	return "RAQIB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// bind registers the named settings on fs with defaults taken from env.
func (c *Config) bind(fs *flag.FlagSet, getenv func(string) string, names ...string) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, s := range c.settings() {
		if !want[s.name] {
			continue
		}
		def := s.def
		if v := getenv(s.envName()); v != "" {
			def = v
		}
		s.bind(fs, s.flagName(), def, s.usage+" (env "+s.envName()+")")
	}
}

// validate checks the values of the named settings that flag parsing
// cannot.
func (c *Config) validate(getenv func(string) string, names []string) error {
	// Parse the environment into a scratch Config: binding a flag writes
	// its default through the pointer.
	for _, s := range (&Config{}).settings() {
		if !slices.Contains(names, s.name) {
			continue
		}
		v := getenv(s.envName())
		if v == "" {
			continue
		}
		// Bad numbers in the environment would otherwise be silently replaced
		// by zero.
		fs := flag.NewFlagSet("env", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s.bind(fs, s.flagName(), s.def, "")
		if err := fs.Set(s.flagName(), v); err != nil {
			return fmt.Errorf("%s=%q: %w", s.envName(), v, err)
		}
	}
	has := func(n string) bool { return slices.Contains(names, n) }
	switch {
	case has("action-quota") && c.ActionQuota < 1:
		return fmt.Errorf("--action-quota must be at least 1, got %d", c.ActionQuota)
	case has("recycled-texts") && c.RecycledTexts < 1:
		return fmt.Errorf("--recycled-texts must be at least 1, got %d", c.RecycledTexts)
	case has("dormant-after") && c.DormantAfter <= 0:
		return fmt.Errorf("--dormant-after must be positive, got %s", c.DormantAfter)
	case has("new-account-age") && c.NewAccountAge <= 0:
		return fmt.Errorf("--new-account-age must be positive, got %s", c.NewAccountAge)
	case has("graph-format") && c.GraphFormat != "gexf" && c.GraphFormat != "graphml":
		return fmt.Errorf("--format must be gexf or graphml, got %q", c.GraphFormat)
	case has("workers") && c.Workers < 1:
		return fmt.Errorf("--workers must be at least 1, got %d", c.Workers)
	case has("batch") && c.Batch < 1:
		return fmt.Errorf("--batch must be at least 1, got %d", c.Batch)
	case has("session-idle") && (c.SessionIdle <= 0 || c.SessionMax < c.SessionIdle):
		return fmt.Errorf("--session-idle must be positive and at most --session-max, got %v and %v", c.SessionIdle, c.SessionMax)
	case has("login-window") && (c.LoginWindow <= 0 || c.LoginUserFailures < 1 || c.LoginIPFailures < 1):
		return fmt.Errorf("--login-window, --login-user-failures and --login-ip-failures must be positive")
	case has("tls-cert") && (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")
	case has("ocr") && c.OCR != "auto" && c.OCR != "on" && c.OCR != "off":
		return fmt.Errorf("--ocr must be auto, on or off, got %q", c.OCR)
	case has("ocr-workers") && c.OCRWorkers < 1:
		return fmt.Errorf("--ocr-workers must be at least 1, got %d", c.OCRWorkers)
	case has("ocr-budget") && c.OCRBudget < 0:
		return fmt.Errorf("--ocr-budget must not be negative, got %s", c.OCRBudget)
	case has("progress") && c.Progress != "auto" && c.Progress != "always" && c.Progress != "never":
		return fmt.Errorf("--progress must be auto, always or never, got %q", c.Progress)
	}
	if has("review-sla") {
		if _, err := review.ParseSLA(c.ReviewSLA); err != nil {
			return fmt.Errorf("--review-sla: %w", err)
		}
	}
	if has("trusted-proxy") {
		if _, err := c.trustedProxies(); err != nil {
			return err
		}
	}
	if has("role") {
		if _, err := auth.ParseRole(c.Role); err != nil {
			return fmt.Errorf("--role: %w", err)
		}
	}
	return nil
}

// trustedProxies parses --trusted-proxy; a bare address is one host.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, v := range c.TrustedProxies {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxy %q: want a CIDR such as 10.0.0.0/8 or an address: %w", v, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// parseSize reads a byte count with an optional unit (KiB, MiB, GiB; KB,
// MB, GB are taken as the same powers of two).
func parseSize(v string) (int64, error) {
	num := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, e.g. 64MiB", v)
	}
	return n * mult, nil
}

// sizeValue is a flag of a byte count written with parseSize's units.
type sizeValue struct{ p *int64 }

func (s sizeValue) String() string {
	if s.p == nil {
		return ""
	}
	n := *s.p
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if n%1024 != 0 || u == "GiB" {
			return strconv.FormatInt(n, 10) + u
		}
		n /= 1024
	}
	return ""
}

func (s sizeValue) Set(v string) (err error) {
	*s.p, err = parseSize(v)
	return err
}

// replacingList makes the first value given on the command line replace the
// default (from the environment) instead of adding to it.
type replacingList struct {
	listFlag
	set bool
}

func (r *replacingList) Set(v string) error {
	if !r.set {
		*r.p, r.set = nil, true
	}
	return r.listFlag.Set(v)
}

func (c *Config) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	w := c.Stderr
	if w == nil {
		w = os.Stderr
	}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
