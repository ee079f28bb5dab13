package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// TestIngestBatchesFitTheQueue imports, at default settings, a 15 MB
// Telegram export whose 500-post batches are over the queue's message size
// limit, and an export of one message that alone is over it (5 MB: the
// pipeline's own test stores a 20 MB post; here the lexicon detector's time
// grows faster than linearly with a post's length).
func TestIngestBatchesFitTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20 MB")
	}
	for _, tc := range []struct {
		name    string
		n, size int
	}{
		{"1000 posts of 4000 characters", 1000, 4000},
		{"one post of 5 MB", 1, 10 << 18},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTelegramExport(t, tc.n, tc.size)
			c := testConfig(t, "ingest", "--progress", "never", dir)
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
