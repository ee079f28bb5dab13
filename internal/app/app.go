// Package app wires raqib's packages into the commands of the raqib binary:
// it parses flags and RAQIB_* environment variables into one Config and runs
// the chosen command. cmd/raqib only calls Parse and Run.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrUsage marks errors in how the command was called.
var ErrUsage = errors.New("usage")

// Version is set at build time with -ldflags "-X ...app.Version=v1.2.3".
var Version = "dev"

// command is one subcommand of the binary.
type command struct {
	name     string
	args     string // what follows the flags, for help
	summary  string
	settings []string
	run      func(ctx context.Context, c *Config) error
}

var pipelineSettings = []string{"data", "store", "nats", "nats-listen", "nats-namespace", "workers", "log-level", "log-format", "lexicon", "model",
	"action-quota", "recycled-texts", "new-account-age", "dormant-after", "ocr", "ocr-workers", "ocr-budget"}

// serveSettings are the settings of the web server: who may sign in, and
// how it faces the network.
var serveSettings = []string{"addr", "hosts", "tls-cert", "tls-key", "trusted-proxy", "insecure-listen", "metrics-open",
	"session-idle", "session-max", "login-window", "login-user-failures", "login-ip-failures"}

// commands lists every subcommand; `raqib help` prints them in this order.
func commands() []command {
	return []command{
		{"serve", "", "run the web UI, HTTP API, metrics, pipeline workers, live collection, liveness checks and the referral sender",
			slices.Concat([]string{"review-sla"}, serveSettings, pipelineSettings, evidenceSettings, livenessSettings, senderSettings, collectSettings), runServe},
		{"worker", "", "run pipeline workers, live collection, liveness checks and the referral sender only (scale-out: point several at one --nats and --store)",
			slices.Concat(pipelineSettings, livenessSettings, senderSettings, collectSettings), runWorker},
		{"ingest", "FILE|DIR...", "import exports (Telegram, WhatsApp, X, Rocket.Chat, RSS/Atom) through the pipeline",
			append([]string{"format", "batch", "progress", "timeout", "max-pixels", "max-record", "max-unpacked", "liveness-track-posts"}, pipelineSettings...), runIngest},
		{"scan", "[FILE...]", "read text or JSONL posts (stdin or files), or images and videos through OCR, and print one JSON verdict per post",
			[]string{"format", "max-record", "max-unpacked", "lexicon", "model", "log-level", "log-format"}, runScan},
		{"demo", "", "import the bundled sample corpus and serve it (no network needed)",
			append(append([]string{"demo-data"}, serveSettings...), slices.DeleteFunc(slices.Clone(pipelineSettings), func(s string) bool { return s == "data" })...), runDemo},
		{"eval", "[--dataset FILE...]", "measure the detection stack: confusion matrix, precision, recall, F1, false-positive rate, worst mistakes",
			[]string{"datasets", "holdout", "positive", "cv", "seed", "model", "json", "log-level", "log-format"}, runEval},
		{"train", "--dataset FILE...", "train the classifier (deterministic seed) and write the model with its provenance",
			[]string{"datasets", "positive", "cv", "seed", "out", "log-level", "log-format"}, runTrain},
		{"hash", "FILE...", "print PDQ (with quality), MD5 and SHA-256 of images; vPDQ frame hashes of videos",
			[]string{"json", "max-pixels", "log-level"}, runHash},
		{"bank", "list|import FILE...|export|enable|disable [ID...]", "manage hash banks; import also re-scans what was already collected",
			[]string{"data", "store", "bank", "kind", "distance", "bank-format", "source", "json", "lexicon", "model", "log-level", "log-format"}, runBank},
		{"source", "add URL|HANDLE --kind KIND | list | pause|resume|remove ID|URL | test URL --kind KIND | proposed", "watch sources live (Telegram channels, RSS/Atom, Rocket.Chat, X API, web pages, webhooks): add, list with health, pause, resume, remove, test once without storing, list proposed sources",
			sourceSettings, runSource},
		{"audit", "verify | list", "check the tamper-evident audit trail (exits non-zero naming the first altered entry) or list its entries",
			[]string{"data", "store", "actor", "since", "json"}, runAudit},
		{"export", "decisions", "write analysts' decisions since --since as a labelled CSV (id,author,decision,label,reason,text) that eval and train read as format decisions",
			[]string{"data", "store", "since", "export-out", "log-level", "log-format"}, runExport},
		{"user", "add NAME | list | disable NAME | enable NAME | reset NAME", "manage who signs in: add prints a generated password once (or reads one from stdin), reset sets a new one, disable ends every session",
			[]string{"data", "store", "role", "json", "log-level", "log-format"}, runUser},
		{"token", "create NAME | list | revoke NAME", "manage API tokens for machines (sent as Authorization: Bearer): create prints the token once, raqib keeps only its hash",
			[]string{"data", "store", "role", "json", "log-level", "log-format"}, runToken},
		{"evidence", "capture CASE | verify [--package FILE] | export CASE --out FILE | prune", "keep court-grade evidence of a case: WARC capture of raw records, posts, media and live pages, SHA-256 manifest, RFC 3161 timestamp, custody entries in the audit trail; verify names any changed byte",
			append([]string{"data", "store", "out", "package", "json"}, evidenceSettings...), runEvidence},
		{"report", "removal", "time-to-removal of referred items per platform, channel, label and tier: share removed, median and p90 hours, share within 1 h and 24 h, Kaplan–Meier survival curves",
			[]string{"data", "store", "from", "to", "report-format", "log-level", "log-format"}, runReport},
		{"refer", "CASE...", "turn confirmed cases into referrals to their platforms or hosts; serve or worker sends them",
			slices.Concat([]string{"data", "store", "json", "log-level", "log-format"}, referralSettings), runRefer},
		{"referral", "list [STATUS] | show ID | reply ID | approve ID | submit ID", "list and show referrals, record a platform's reply (--ticket, --reply), approve one (a second person), record a web-form submission",
			slices.Concat([]string{"data", "store", "json", "ticket", "reply", "log-level", "log-format"}, referralSettings), runReferral},
		{"bench", "ingest [N] | index [N] | accounts [N]", "measure throughput: `bench ingest N` imports N synthetic posts of the --texts mix through the full path; `bench index N` queries an N-hash PDQ index; `bench accounts N` ranks successors of removed accounts in N synthetic accounts",
			append([]string{"batch", "progress", "cpu-profile", "texts"}, pipelineSettings...), runBench},
		{"accounts", "list [STATUS] | status PLATFORM/ID STATUS --evidence TEXT | successors [proposed|confirmed|rejected] | confirm ID | reject ID | sweep | eval",
			"the account registry: list accounts, record a status change with its evidence (a removal proposes successors), review successor links; sweep marks accounts silent for --dormant-after dormant; eval measures account-level detection on isis-fanboy-en against the negative sets",
			[]string{"data", "store", "evidence", "json", "lexicon", "model", "dormant-after", "log-level"}, runAccounts},
		{"graph", "export [--format gexf|graphml]", "write the account graph (forwards, reposts, quotes, replies, mentions, links) with PageRank to standard output for Gephi",
			[]string{"data", "store", "graph-format", "log-level"}, runGraph},
		{"version", "", "print the version", nil, runVersion},
	}
}

// parseInterleaved parses flags wherever they stand among the arguments
// (`raqib bank list --data DIR` as well as `raqib bank --data DIR list`):
// the flag package stops at the first argument, and a flag after it would
// silently be taken for an argument, the data directory falling back to its
// default. Everything after "--" is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var literal []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, literal = args[:i], args[i+1:]
	}
	var out []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(out, literal...), nil
		}
		out, args = append(out, args[0]), args[1:]
	}
}

// Parse reads the command line and environment into a command and its
// Config. It returns ErrUsage (wrapped) for help requests and bad calls,
// after printing help to stderr.
func Parse(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (string, *Config, error) {
	c := &Config{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return Parse([]string{args[1], "-h"}, getenv, stdin, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return "", nil, fmt.Errorf("%w: no command given", ErrUsage)
		}
		return "help", c, nil
	}
	cmd, ok := lookup(args[0])
	if !ok {
		usage(stderr)
		return "", nil, fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
	fs := flag.NewFlagSet("raqib "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: raqib %s [flags] %s\n\n%s.\n\nflags:\n", cmd.name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	c.bind(fs, getenv, cmd.settings...)
	var err error
	if c.Args, err = parseInterleaved(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "help", c, nil
		}
		return "", nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if cmd.settings != nil {
		if err := c.validate(getenv, cmd.settings); err != nil {
			return "", nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}
	return cmd.name, c, nil
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "raqib (رقيب) watches public places where terrorist groups recruit and spread propaganda.\n\nusage: raqib COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\n`raqib help COMMAND` or `raqib COMMAND -h` lists a command's flags; every flag can also be set\nwith an environment variable RAQIB_<FLAG> (for example RAQIB_DATA for --data).\n")
}

// Run runs a parsed command.
func Run(ctx context.Context, name string, c *Config) error {
	if name == "help" {
		return nil
	}
	cmd, ok := lookup(name)
	if !ok {
		return fmt.Errorf("%w: unknown command %q", ErrUsage, name)
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	return cmd.run(ctx, c)
}

func runVersion(_ context.Context, c *Config) error {
	_, err := fmt.Fprintf(c.Stdout, "raqib %s\n", Version)
	return err
}

// ExitCode reports err on w and returns the process exit code: 0 for
// success, 2 for a bad command line, 1 for any other error.
func ExitCode(w io.Writer, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(w, "raqib:", strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	default:
		fmt.Fprintln(w, "raqib:", err)
		return 1
	}
}
