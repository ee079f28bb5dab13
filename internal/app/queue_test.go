package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sqlitedrv "modernc.org/sqlite"
)

// arabicText is about n characters of made-up Arabic news text.
func arabicText(n int) string {
	words := []string{"أفادت", "مصادر", "محلية", "في", "مدينة", "الرقة", "بأن", "الأسواق", "شهدت", "ازدحاما", "كبيرا", "اليوم"}
	var b strings.Builder
	for i := 0; b.Len() < 2*n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	return b.String()
}

// writeTelegramExport writes a Telegram Desktop JSON export (hand-made test
// data) of n messages of about size characters each, and returns its
// folder.
func writeTelegramExport(t *testing.T, n, size int) string {
	t.Helper()
	type message struct {
		ID           int    `json:"id"`
		Type         string `json:"type"`
		Date         string `json:"date"`
		DateUnix     string `json:"date_unixtime"`
		From         string `json:"from"`
		FromID       string `json:"from_id"`
		Text         string `json:"text"`
		TextEntities []any  `json:"text_entities"`
	}
	text := arabicText(size)
	export := struct {
		Name     string    `json:"name"`
		Type     string    `json:"type"`
		ID       int64     `json:"id"`
		Messages []message `json:"messages"`
	}{Name: "قناة اختبار (مثال مختلق للاختبار)", Type: "public_channel", ID: 1000000042}
	for i := range n {
		ts := 1709283600 + int64(i)*60
		export.Messages = append(export.Messages, message{
			ID: i + 1, Type: "message", Date: "2024-03-01T09:00:00", DateUnix: fmt.Sprint(ts),
			From: export.Name, FromID: "channel1000000042",
			Text: fmt.Sprintf("%d %s", i+1, text), TextEntities: []any{},
		})
	}
	dir := filepath.Join(t.TempDir(), "export")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(export)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeRSS writes an RSS 2.0 feed (hand-made test data) of n items of about
// size characters each, and returns its path.
func writeRSS(t *testing.T, n, size int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>أخبار المثال</title><link>https://news.example.org/</link>
`)
	text := arabicText(size)
	for i := range n {
		fmt.Fprintf(&b, "<item><title>خبر %d</title><link>https://news.example.org/%d</link><guid>https://news.example.org/%d</guid><pubDate>Fri, 01 Mar 2024 10:00:00 +0300</pubDate><description>%d %s</description></item>\n", i, i, i, i, text)
	}
	b.WriteString("</channel></rss>\n")
	path := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIngestBatchesFitTheQueue imports, at default settings, exports whose
// 500-post batches are far over the queue's message size limit (a 15 MB
// Telegram export, 600 RSS articles of 20 KB), and an export of one message
// of 20 MB that alone is over it: it travels through the object store and
// takes the whole path, detection included.
func TestIngestBatchesFitTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 40 MB")
	}
	for _, tc := range []struct {
		name   string
		n      int
		export func(t *testing.T) string
	}{
		{"telegram, 1000 posts of 4000 characters", 1000, func(t *testing.T) string { return writeTelegramExport(t, 1000, 4000) }},
		{"rss, 600 articles of 20 KB", 600, func(t *testing.T) string { return writeRSS(t, 600, 10000) }},
		{"telegram, one post of 20 MB", 1, func(t *testing.T) string { return writeTelegramExport(t, 1, 10<<20) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, "ingest", "--progress", "never", tc.export(t))
			if err := Run(context.Background(), "ingest", c); err != nil {
				t.Fatalf("%v\n%s", err, c.Stderr)
			}
			got := parseSummary(t, c.Stdout.(*bytes.Buffer).String())
			if got["imported"] != tc.n || got["rejected"] != 0 {
				t.Errorf("summary %v, want %d imported", got, tc.n)
			}
			st, err := openStore(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			stats, err := st.Stats(context.Background())
			if err != nil || stats.Posts != int64(tc.n) {
				t.Errorf("%d posts stored (err %v), want %d", stats.Posts, err, tc.n)
			}
		})
	}
}

// freezeDir, when set, names a data directory whose SQLite connections may
// not grow the database: a full disk, with SQLite's own limit.
var (
	freezeDir  atomic.Value
	freezeOnce sync.Once
)

func freezeDatabase(t *testing.T, dir string) {
	t.Helper()
	freezeOnce.Do(func() {
		sqlitedrv.RegisterConnectionHook(func(conn sqlitedrv.ExecQuerierContext, dsn string) error {
			if d, _ := freezeDir.Load().(string); d == "" || !strings.Contains(dsn, d) {
				return nil
			}
			// SQLite raises a limit below the current size to that size.
			_, err := conn.ExecContext(context.Background(), "PRAGMA max_page_count = 1", nil)
			return err
		})
	})
	freezeDir.Store(dir)
	t.Cleanup(func() { freezeDir.Store("") })
}

// TestIngestDiskFull imports into a database that cannot grow: the import
// stops with the store's error instead of hanging, and once there is room
// again a re-run stores everything.
func TestIngestDiskFull(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	export := writeTelegramExport(t, 1000, 1000)
	c := testConfig(t, "ingest", "--progress", "never", "--batch", "100", "../source/telegram/testdata/channel")
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatal(err)
	}
	first := parseSummary(t, c.Stdout.(*bytes.Buffer).String())["imported"]

	freezeDatabase(t, c.Data)
	c.Args, c.Stdout, c.Stderr = []string{export}, &bytes.Buffer{}, &bytes.Buffer{}
	err := Run(ctx, "ingest", c)
	if err == nil || !strings.Contains(err.Error(), "database or disk is full") || ctx.Err() != nil {
		t.Fatalf("import into a full database: err = %v (context %v), want the store's error\n%s", err, ctx.Err(), c.Stderr)
	}
	if code := ExitCode(io.Discard, err); code == 0 {
		t.Errorf("exit code %d", code)
	}

	freezeDir.Store("")
	c.Stdout, c.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("re-run after space was freed: %v\n%s", err, c.Stderr)
	}
	got := parseSummary(t, c.Stdout.(*bytes.Buffer).String())
	if got["imported"]+got["duplicates"] != 1000 {
		t.Errorf("re-run: %v, want 1000 posts imported or already there", got)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stats, err := st.Stats(ctx)
	if err != nil || stats.Posts != int64(first+1000) {
		t.Errorf("%d posts stored (err %v), want %d", stats.Posts, err, first+1000)
	}
}

// TestIngestIntoServe imports into a data directory a running `raqib serve`
// owns: the import hands its batches to the server's queue, whose workers
// store them, and reports their counts.
func TestIngestIntoServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := testConfig(t, "serve", "--addr", "127.0.0.1:0", "--log-level", "debug")
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- Run(serveCtx, "serve", srv) }()
	share := waitShared(t, srv, served)
	fi, err := os.Stat(share)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("share file: %v, mode %v, want 0600", err, fi.Mode())
	}
	secret, err := os.ReadFile(share)
	if err != nil {
		t.Fatal(err)
	}
	var sh struct{ Token string }
	if err := json.Unmarshal(secret, &sh); err != nil || len(sh.Token) < 32 {
		t.Fatalf("share file holds no token: %v", err)
	}

	in := testConfig(t, "ingest", "--progress", "never", "--log-level", "debug", writeTelegramExport(t, 300, 200))
	in.Data = srv.Data
	if err := Run(ctx, "ingest", in); err != nil {
		t.Fatalf("ingest while serving: %v\n%s", err, in.Stderr)
	}
	got := parseSummary(t, in.Stdout.(*bytes.Buffer).String())
	if got["imported"] != 300 {
		t.Errorf("summary %v, want 300 imported", got)
	}
	st, err := openStore(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	st.Close()
	if err != nil || stats.Posts != 300 {
		t.Errorf("%d posts stored (err %v), want 300", stats.Posts, err)
	}

	stopServe()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	for name, log := range map[string]string{"serve": srv.Stderr.(*bytes.Buffer).String(), "ingest": in.Stderr.(*bytes.Buffer).String()} {
		if strings.Contains(log, sh.Token) {
			t.Errorf("%s logged the queue token", name)
		}
	}
	if _, err := os.Stat(share); !os.IsNotExist(err) {
		t.Errorf("share file left behind after serve stopped: %v", err)
	}
}
