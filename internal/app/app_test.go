package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/shareddata"
	"github.com/raqib-project/raqib/internal/store"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     func(string) string
		want    func(*Config) bool
		wantErr bool
	}{
		{"defaults", []string{"serve"}, env(), func(c *Config) bool { return c.Data == "./raqib-data" && c.Addr == "127.0.0.1:8080" && c.NATS == "" }, false},
		{"env", []string{"serve"}, env("RAQIB_DATA", "/d", "RAQIB_WORKERS", "3"), func(c *Config) bool { return c.Data == "/d" && c.Workers == 3 }, false},
		{"flag beats env", []string{"serve", "--data", "/f"}, env("RAQIB_DATA", "/d"), func(c *Config) bool { return c.Data == "/f" }, false},
		{"args", []string{"ingest", "--format", "whatsapp", "a.txt", "b.zip"}, env(), func(c *Config) bool {
			return c.Format == "whatsapp" && len(c.Args) == 2 && c.Args[1] == "b.zip"
		}, false},
		{"flags after args", []string{"bank", "list", "--data", "/f"}, env(), func(c *Config) bool {
			return c.Data == "/f" && slices.Equal(c.Args, []string{"list"})
		}, false},
		{"flags between args", []string{"ingest", "a.txt", "--format", "whatsapp", "b.zip", "-"}, env(), func(c *Config) bool {
			return c.Format == "whatsapp" && slices.Equal(c.Args, []string{"a.txt", "b.zip", "-"})
		}, false},
		{"args after --", []string{"ingest", "--format", "text", "--", "--data", "-x"}, env(), func(c *Config) bool {
			return c.Format == "text" && c.Data == "./raqib-data" && slices.Equal(c.Args, []string{"--data", "-x"})
		}, false},
		{"bad flag after args", []string{"ingest", "a.txt", "--nope"}, env(), nil, true},
		{"bad env number", []string{"serve"}, env("RAQIB_WORKERS", "many"), nil, true},
		{"bad flag", []string{"serve", "--nope"}, env(), nil, true},
		{"unknown command", []string{"frobnicate"}, env(), nil, true},
		{"flag of another command", []string{"version", "--data", "x"}, env(), nil, true},
		{"zero workers", []string{"worker", "--workers", "0"}, env(), nil, true},
		{"eval data sets", []string{"eval", "--dataset", "csv:a.csv", "--dataset", "b.txt"}, env(), func(c *Config) bool {
			return slices.Equal(c.Datasets, []string{"csv:a.csv", "b.txt"})
		}, false},
		{"eval data sets from env", []string{"train"}, env("RAQIB_DATASETS", "a.csv,b.txt"), func(c *Config) bool {
			return slices.Equal(c.Datasets, []string{"a.csv", "b.txt"})
		}, false},
		// --data is the data directory everywhere; eval has none.
		{"eval takes no --data", []string{"eval", "--data", "a.csv"}, env(), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, c, err := Parse(tc.args, tc.env, nil, &out, &out)
			if tc.wantErr {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

// TestHelpListsEveryFlagWithEnv checks that `raqib CMD -h` documents every
// setting of the command with its environment variable.
func TestHelpListsEveryFlagWithEnv(t *testing.T) {
	for _, cmd := range commands() {
		var out bytes.Buffer
		name, _, err := Parse([]string{cmd.name, "-h"}, env(), nil, &out, &out)
		if err != nil || name != "help" {
			t.Fatalf("%s -h: %v", cmd.name, err)
		}
		for _, st := range (&Config{}).settings() {
			if !slices.Contains(cmd.settings, st.name) {
				continue
			}
			if !strings.Contains(out.String(), "-"+st.flagName()) || !strings.Contains(out.String(), st.envName()) {
				t.Errorf("raqib %s -h does not document --%s and %s:\n%s", cmd.name, st.flagName(), st.envName(), out.String())
			}
		}
	}
}

// TestFlagValueNames checks the value names that `raqib CMD -h` prints: the
// flag package takes a back-quoted word of the usage as the value name, so a
// quoted command ("`raqib worker`") would read as the flag's value.
func TestFlagValueNames(t *testing.T) {
	for _, cmd := range commands() {
		fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
		(&Config{}).bind(fs, env(), cmd.settings...)
		fs.VisitAll(func(f *flag.Flag) {
			name, _ := flag.UnquoteUsage(f)
			if strings.ContainsAny(name, " \t") {
				t.Errorf("raqib %s -%s: value name %q is more than one word", cmd.name, f.Name, name)
			}
			for _, other := range commands() {
				if strings.EqualFold(name, other.name) || strings.EqualFold(name, "raqib") {
					t.Errorf("raqib %s -%s: value name %q is a command", cmd.name, f.Name, name)
				}
			}
		})
	}
}

// waitShared waits until the serve run with srv, whose result served
// carries, has migrated the store and shares its queue, and returns the
// share file; it fails the test if serve stops first.
func waitShared(t *testing.T, srv *Config, served <-chan error) string {
	t.Helper()
	share := filepath.Join(srv.Data, "nats", "share.json")
	for {
		if _, err := os.Stat(share); err == nil {
			break
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v\n%s", err, srv.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return share
}

func testConfig(t *testing.T, args ...string) *Config {
	t.Helper()
	var out bytes.Buffer
	_, c, err := Parse(args, env("RAQIB_DATA", t.TempDir(), "RAQIB_LOG_LEVEL", "error", "RAQIB_WORKERS", "2"), nil, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return c
}

var summaryFields = []string{"imported", "duplicates", "edited", "rejected"}

// parseSummary reads "N imported, N duplicates, ..." from ingest output.
func parseSummary(t *testing.T, out string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, part := range strings.FieldsFunc(out, func(r rune) bool { return r == ',' || r == ':' || r == ';' }) {
		var n int
		var word string
		if _, err := fmt.Sscan(strings.TrimSpace(part), &n, &word); err == nil {
			got[word] = n
		}
	}
	for _, f := range summaryFields {
		if _, ok := got[f]; !ok {
			t.Fatalf("summary lacks %q: %s", f, out)
		}
	}
	return got
}

func TestIngestFixturesTwice(t *testing.T) {
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{
		"../source/telegram/testdata/channel",
		"../source/whatsapp/testdata/android_ar.txt",
		"../source/xapi/testdata/arabic_page.jsonl",
		"../source/feed/testdata/arabic_rss_1256.xml",
	}
	ctx := context.Background()
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	first := parseSummary(t, c.Stdout.(*bytes.Buffer).String())
	if first["imported"] < 10 {
		t.Errorf("first import: %v", first)
	}
	// The fixtures hold deliberately malformed records: they are reported by
	// file and line and skipped, the rest is imported.
	if first["rejected"] == 0 || !strings.Contains(c.Stderr.(*bytes.Buffer).String(), "rejected ") {
		t.Errorf("no rejection reported: %v\n%s", first, c.Stderr)
	}
	c.Stdout, c.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatal(err)
	}
	second := parseSummary(t, c.Stdout.(*bytes.Buffer).String())
	if second["imported"] != 0 || second["duplicates"] != first["imported"] {
		t.Errorf("re-import: %v, want every post a duplicate of the first run %v", second, first)
	}
	// Each file is a source read twice; its posts were stored once.
	st, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var posts, rejected int64
	for _, src := range srcs {
		if src.Imports != 2 || src.Format == "" {
			t.Errorf("source %+v, want two imports and its format", src)
		}
		posts, rejected = posts+src.Posts, rejected+src.Rejected
	}
	if len(srcs) < len(c.Args) || posts != int64(first["imported"]) || rejected != 2*int64(first["rejected"]) {
		t.Errorf("%d sources with %d posts and %d rejections; want at least %d, %d posts and twice %d rejections",
			len(srcs), posts, rejected, len(c.Args), first["imported"], first["rejected"])
	}
}

// TestIngestSharedData imports every real payload of the shared data sets
// through the whole pipeline.
func TestIngestSharedData(t *testing.T) {
	root := shareddata.Need(t, "x-api-v2-twarc")
	root = filepath.Dir(root)
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{
		filepath.Join(root, "x-api-v2-twarc"),
		filepath.Join(root, "rocketchat-openapi"),
		filepath.Join(root, "chat-exports-chat-analytics", "DM_2A_7M.json"),
		filepath.Join(root, "chat-exports-chat-analytics", "4A_11M.zip"),
		filepath.Join(root, "chat-exports-chat-analytics", "2A_5M.txt"),
	}
	if err := Run(context.Background(), "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	got := parseSummary(t, c.Stdout.(*bytes.Buffer).String())
	// The importers' own tests pin exact per-file counts; here the pipeline
	// must store every post they produce (nothing lost between stages).
	if got["imported"] < 500 {
		t.Errorf("imported %v", got)
	}
}

func TestScan(t *testing.T) {
	c := testConfig(t, "scan")
	c.Stdin = strings.NewReader("عاجل | مقتل ثلاثة في هجوم تبناه تنظيم داعش الإرهابي بحسب مصادر أمنية\n" + rules.Canary + "\nنتيجة المباراة اليوم\n")
	if err := Run(context.Background(), "scan", c); err != nil {
		t.Fatal(err)
	}
	var vs []verdict
	sc := bufio.NewScanner(c.Stdout.(*bytes.Buffer))
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		vs = append(vs, v)
	}
	if len(vs) != 3 {
		t.Fatalf("%d verdicts, want 3", len(vs))
	}
	if vs[0].Violating {
		t.Errorf("news flagged: %+v", vs[0])
	}
	if !vs[1].Violating {
		t.Errorf("canary not flagged: %+v", vs[1])
	}
	if vs[2].Violating {
		t.Errorf("sport flagged: %+v", vs[2])
	}
}

func TestMain(m *testing.M) {
	// Tests must never leave a data directory behind in the package folder.
	code := m.Run()
	if _, err := os.Stat("raqib-data"); err == nil {
		os.RemoveAll("raqib-data")
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func TestHash(t *testing.T) {
	c := testConfig(t, "hash", "--json")
	c.Args = []string{"../pdq/testdata/testsrc.png", "../pdq/testdata/README.md"}
	err := Run(context.Background(), "hash", c)
	if err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Errorf("err = %v, want one failed file", err)
	}
	var lines []hashLine
	dec := json.NewDecoder(c.Stdout.(*bytes.Buffer))
	for dec.More() {
		var l hashLine
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 || len(lines[0].PDQ) != 64 || lines[0].Quality == 0 || lines[1].Error == "" || lines[1].SHA256 == "" {
		t.Errorf("lines %+v", lines)
	}
}

// TestBankImportFindsCollectedImage imports a Telegram export with photos,
// then a partner hash list holding one photo's PDQ: the retroactive scan
// must re-decide the already-stored post and open a case for it.
func TestBankImportFindsCollectedImage(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{"../source/telegram/testdata/channel"}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatal(err)
	}
	s, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var target string
	s.(store.Banks).MediaHashes(ctx, "pdq", func(hash, key string) error {
		if target == "" {
			target = hash + " " + key
		}
		return nil
	})
	s.Close()
	if target == "" {
		t.Fatal("the export's photos were not hashed")
	}
	hash, key, _ := strings.Cut(target, " ")
	list := filepath.Join(t.TempDir(), "partner.csv")
	csv := "hash,algo,labels,entity,source,provenance\n" + hash + ",pdq,propaganda,isis,hand-made test list,\n"
	if err := os.WriteFile(list, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	b := testConfig(t, "bank", "--kind", "partner", "--bank", "partner-list", "--source", "test")
	b.Data = c.Data
	b.Args = []string{"import", list}
	if err := Run(ctx, "bank", b); err != nil {
		t.Fatalf("%v\n%s", err, b.Stderr)
	}
	out := b.Stdout.(*bytes.Buffer).String()
	if !strings.Contains(out, "1 added") || !strings.Contains(out, key) || !strings.Contains(out, "1 already-collected") {
		t.Errorf("bank import output:\n%s", out)
	}
	s, err = openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _, err := s.Post(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Decision.Violating || !slices.ContainsFunc(p.Signals, func(sg post.Signal) bool { return sg.Detector == "hashbank" }) {
		t.Errorf("post after rescan: %+v signals %+v", p.Decision, p.Signals)
	}
	cases, err := s.Cases(ctx, post.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	// The post may have joined its author's open case.
	if !slices.ContainsFunc(cases, func(cs post.Case) bool {
		keys, err := s.CasePosts(ctx, cs.ID, 100)
		return err == nil && slices.Contains(keys, key)
	}) {
		t.Errorf("no open case holds the matched post: %+v", cases)
	}

	// Importing the same list again adds nothing; list and export show it.
	b.Stdout = &bytes.Buffer{}
	if err := Run(ctx, "bank", b); err != nil || !strings.Contains(b.Stdout.(*bytes.Buffer).String(), "0 added") {
		t.Errorf("re-import: %v\n%s", err, b.Stdout)
	}
	b.Args, b.Stdout = []string{"export"}, &bytes.Buffer{}
	if err := Run(ctx, "bank", b); err != nil || !strings.Contains(b.Stdout.(*bytes.Buffer).String(), hash) {
		t.Errorf("export: %v\n%s", err, b.Stdout)
	}
	b.Args, b.Stdout = []string{"list"}, &bytes.Buffer{}
	if err := Run(ctx, "bank", b); err != nil || !strings.Contains(b.Stdout.(*bytes.Buffer).String(), "partner-list") {
		t.Errorf("list: %v\n%s", err, b.Stdout)
	}
}

// TestBenchIngest runs the ingest benchmark small, with a short last batch,
// on each text mix: every post goes through the full path and both
// baselines.
func TestBenchIngest(t *testing.T) {
	for _, texts := range []string{"varied", "recycled"} {
		t.Run(texts, func(t *testing.T) {
			c := testConfig(t, "bench", "--progress", "never", "--batch", "300", "--texts", texts, "--cpu-profile", filepath.Join(t.TempDir(), "cpu.prof"), "ingest", "1000")
			if err := Run(context.Background(), "bench", c); err != nil {
				t.Fatal(err)
			}
			out := c.Stdout.(*bytes.Buffer).String()
			for _, want := range []string{"1000 synthetic X API v2 tweets, " + texts, "1000 posts in", "bytes per post", "cases opened", "store alone", "raw SQLite insert", "ratio full path"} {
				if !strings.Contains(out, want) {
					t.Errorf("bench output lacks %q:\n%s", want, out)
				}
			}
			if st, err := os.Stat(c.CPUProfile); err != nil || st.Size() == 0 {
				t.Errorf("no CPU profile written: %v", err)
			}
		})
	}
	c := testConfig(t, "bench", "--texts", "copied", "ingest", "10")
	if err := Run(context.Background(), "bench", c); !errors.Is(err, ErrUsage) {
		t.Errorf("--texts copied: err %v, want ErrUsage", err)
	}
}

// TestRecycledPosts checks the recycled mix against the statistics of
// ../shared/bench/gen_recycled_tweets.py, and that a post is the same
// whenever it is generated.
func TestRecycledPosts(t *testing.T) {
	vocab := map[string]bool{}
	for _, w := range recycledWords {
		vocab[w] = true
	}
	authors := map[string]bool{}
	for i := range 20_000 {
		p := recycledPost(i)
		ws := strings.Fields(p.Text)
		if len(ws) < 6 || len(ws) > 30 {
			t.Fatalf("post %d has %d words, want 6-30", i, len(ws))
		}
		for _, w := range ws {
			if !vocab[w] {
				t.Fatalf("post %d has %q, not in the vocabulary", i, w)
			}
		}
		authors[p.Author.ID] = true
		if q := recycledPost(i); q.Text != p.Text || q.Author.ID != p.Author.ID {
			t.Fatalf("post %d differs between two calls", i)
		}
	}
	// 20,000 draws among 50,000 authors hit about 16,500 distinct ones.
	if len(authors) < 15_000 || len(authors) > 18_000 {
		t.Errorf("%d distinct authors in 20,000 posts, want about 16,500 of %d", len(authors), recycledAuthors)
	}
}

// TestBankImportRejectedRows checks that a hash list with bad rows never
// passes silently: no bank is created when no row is valid, the valid rows
// of a mixed list are imported, and either way the command fails naming
// every rejected row by file and line.
func TestBankImportRejectedRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const header = "hash,algo,labels,entity,source,provenance\n"
	bad := write("bad.csv", header+"not-a-hash,pdq,propaganda,isis,,\nd41d8cd98f00b204e9800998ecf8427e,sha1,,,,\n")
	mixed := write("mixed.csv", header+"d41d8cd98f00b204e9800998ecf8427e,md5,propaganda,isis,,\nzz,md5,,,,\n")
	missing := filepath.Join(dir, "missing.csv")
	data := t.TempDir()
	banks := func() map[string]int {
		s, err := openStore(ctx, &Config{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		bs, es, err := s.(store.Banks).LoadBanks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, b := range bs {
			n[b.Name] += 0
		}
		for _, e := range es {
			n[e.Bank]++
		}
		return n
	}
	for _, tc := range []struct {
		name    string
		files   []string
		want    []string // in the error
		entries int      // of the bank afterwards; -1: no bank
	}{
		{"no valid row", []string{bad}, []string{bad + ":2", bad + ":3"}, -1},
		{"unreadable file", []string{missing}, []string{missing}, -1},
		{"mixed", []string{bad, missing, mixed}, []string{bad + ":2", bad + ":3", missing, mixed + ":3"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testConfig(t, "bank", "--bank", tc.name)
			b.Data = data
			b.Args = append([]string{"import"}, tc.files...)
			err := Run(ctx, "bank", b)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("err = %v, want ErrRejected", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			n, ok := banks()[tc.name]
			switch {
			case tc.entries < 0 && ok:
				t.Errorf("bank %q created with %d entries from a list without a valid row", tc.name, n)
			case tc.entries >= 0 && n != tc.entries:
				t.Errorf("bank %q has %d entries (exists %v), want %d", tc.name, n, ok, tc.entries)
			}
		})
	}
}

// cancelOn cancels a context once the text written to it contains marker.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// TestDemoKeepsDataDir runs `raqib demo --data DIR` twice: the directory is
// kept, and the second run re-uses it without duplicating the demo posts
// or their cases.
func TestDemoKeepsDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the demo corpus twice")
	}
	data := filepath.Join(t.TempDir(), "demo")
	run := func() store.Stats {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c := testConfig(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
		out := &cancelOn{marker: "raqib demo is running", cancel: cancel}
		c.Stdout = out
		if err := Run(ctx, "demo", c); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.buf.String(), data) {
			t.Errorf("demo output does not name the kept data directory %s:\n%s", data, out.buf.String())
		}
		s, err := openStore(context.Background(), &Config{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		st, err := s.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := run()
	if first.Posts == 0 || first.OpenCases == 0 {
		t.Fatalf("demo stored %d posts, %d open cases in %s", first.Posts, first.OpenCases, data)
	}
	second := run()
	if second.Posts != first.Posts || second.OpenCases != first.OpenCases {
		t.Errorf("second demo run: %d posts, %d open cases; first: %d, %d", second.Posts, second.OpenCases, first.Posts, first.OpenCases)
	}
}

// TestBankImportFindsCollectedVideo imports a WhatsApp chat with a video,
// which gets its vPDQ at import, then a bank list holding the vPDQ of a cut
// of the same video: the retroactive scan must match it as a video.
func TestBankImportFindsCollectedVideo(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install ffmpeg (apt-get install ffmpeg) to run the video tests", tool)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	video := filepath.Join(dir, "VID-20200803-WA0002.mp4")
	cut := filepath.Join(t.TempDir(), "cut.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc=size=128x96:rate=10:duration=12", "-c:v", "mpeg4", "-q:v", "2", video},
		{"-ss", "2", "-i", video, "-t", "9", "-c:v", "mpeg4", "-q:v", "2", cut},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	// A hand-made chat in the Arabic Android format of the WhatsApp fixtures.
	chat := "٢٤‏/٧‏/٢٠٢٠ ١١:٥٨ م - أنشأ أبو محمد المجموعة \"غرفة تجريبية\"\n" +
		"٣‏/٨‏/٢٠٢٠ ١:١٧ م - أبو محمد: VID-20200803-WA0002.mp4 (ملف مرفق)\n"
	if err := os.WriteFile(filepath.Join(dir, "chat.txt"), []byte(chat), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "ingest", "--progress", "never", "--format", "whatsapp")
	c.Args = []string{filepath.Join(dir, "chat.txt")}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	if out := c.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, "1 videos") {
		t.Errorf("ingest output does not count the video:\n%s", out)
	}

	h := testConfig(t, "hash", "--json")
	h.Args = []string{cut}
	if err := Run(ctx, "hash", h); err != nil {
		t.Fatal(err)
	}
	var line hashLine
	if err := json.Unmarshal(h.Stdout.(*bytes.Buffer).Bytes(), &line); err != nil || line.VPDQ == "" {
		t.Fatalf("hash of the cut: %+v, %v", line, err)
	}
	list := filepath.Join(t.TempDir(), "videos.csv")
	if err := os.WriteFile(list, []byte("hash,type,labels\n\""+line.VPDQ+"\",vpdq,propaganda\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := testConfig(t, "bank", "--kind", "partner", "--bank", "videos", "--source", "test")
	b.Data = c.Data
	b.Args = []string{"import", list}
	if err := Run(ctx, "bank", b); err != nil {
		t.Fatalf("%v\n%s", err, b.Stderr)
	}
	if out := b.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, "1 already-collected") {
		t.Errorf("bank import output:\n%s", out)
	}
	s, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, err := s.Posts(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ps, func(p post.Post) bool { return len(p.Media) > 0 })
	if i < 0 {
		t.Fatal("the post with the video was not stored")
	}
	got := slices.IndexFunc(ps[i].Signals, func(sg post.Signal) bool { return sg.Match != nil && sg.Match.Type == "vpdq" })
	if got < 0 || !ps[i].Decision.Violating {
		t.Fatalf("post after rescan: %+v signals %+v", ps[i].Decision, ps[i].Signals)
	}
	if m := ps[i].Signals[got].Match; m.Distance > m.Threshold || m.Bank != "videos" {
		t.Errorf("match %+v", m)
	}
}
