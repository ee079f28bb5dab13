package app

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every command. Each field has a flag and a
// RAQIB_* environment variable; a flag given on the command line wins over
// the environment, which wins over the default.
type Config struct {
	Data          string
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

	// Set by the command line, not settings.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// setting describes one Config field for flags, env and help.
type setting struct {
	name  string // flag name; the env var is RAQIB_ + upper(name) with - as _
	def   string
	usage string
	bind  func(fs *flag.FlagSet, name, def, usage string)
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
	dur := func(p *time.Duration) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(p, n, v, u)
		}
	}
	return []setting{
		{"data", "./raqib-data", "data directory: database, queue and evidence live here", str(&c.Data)},
		{"store", "", "PostgreSQL URL (postgres://...) for scale-out; empty keeps the embedded SQLite database in --data", str(&c.Store)},
		{"addr", "127.0.0.1:8080", "address the web UI and API listen on", str(&c.Addr)},
		{"nats", "", "URL of an external NATS JetStream server; empty runs one inside the process", str(&c.NATS)},
		{"nats-listen", "", "also expose the embedded NATS server on host:port (e.g. 127.0.0.1:4333) so that `raqib worker` processes can join", str(&c.NATSListen)},
		{"nats-namespace", "raqib", "prefix of stream and subject names, to share one NATS cluster", str(&c.NATSNamespace)},
		{"workers", strconv.Itoa(runtime.NumCPU()), "concurrent pipeline workers in this process", num(&c.Workers)},
		{"format", "", "input format (telegram, whatsapp, xapi, xarchive, rocketchat, feed, text, jsonl); empty detects it per file", str(&c.Format)},
		{"batch", "500", "posts per queue message", num(&c.Batch)},
		{"log-level", "info", "log level: debug, info, warn, error", str(&c.LogLevel)},
		{"log-format", "text", "log format: text or json", str(&c.LogFormat)},
		{"progress", "auto", "progress bar on stderr: auto (when a terminal), always, never", str(&c.Progress)},
		{"lexicon", "", "directory of analyst lexicon files (*.tsv) used instead of the built-in lexicon; reloaded on change", str(&c.Lexicon)},
		{"model", "", "classifier model file used instead of the built-in model", str(&c.Model)},
		{"timeout", "0s", "give up after this long (0 waits for ever)", dur(&c.Timeout)},
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
		if v := getenv(EnvName(s.name)); v != "" {
			def = v
		}
		s.bind(fs, s.name, def, s.usage+" (env "+EnvName(s.name)+")")
	}
}

// validate checks values that flag parsing cannot.
func (c *Config) validate(getenv func(string) string) error {
	for _, s := range c.settings() {
		v := getenv(EnvName(s.name))
		if v == "" {
			continue
		}
		// Bad numbers in the environment would otherwise be silently replaced
		// by zero.
		fs := flag.NewFlagSet("env", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s.bind(fs, s.name, s.def, "")
		if err := fs.Set(s.name, v); err != nil {
			return fmt.Errorf("%s=%q: %w", EnvName(s.name), v, err)
		}
	}
	if c.Workers < 1 {
		return fmt.Errorf("--workers must be at least 1, got %d", c.Workers)
	}
	if c.Batch < 1 {
		return fmt.Errorf("--batch must be at least 1, got %d", c.Batch)
	}
	switch c.Progress {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("--progress must be auto, always or never, got %q", c.Progress)
	}
	return nil
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
