package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// oneRecordFiles are the formats whose single huge record is measured by
// BenchmarkOneRecord: each writes a file holding one message whose text is
// body.
var oneRecordFiles = []struct {
	format, name string
	write        func(body string) string
}{
	{"telegram", "result.json", func(body string) string {
		return `{"name":"قناة","type":"public_channel","id":1,"messages":[{"id":1,"type":"message","date":"2024-01-01T10:00:00","from":"a","from_id":"channel1","text":"` + body + `"},{"id":2,"type":"message","date":"2024-01-01T10:01:00","from":"a","from_id":"channel1","text":"بعد"}]}`
	}},
	{"feed", "feed.xml", func(body string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://news.example/</link>` +
			`<item><title>a</title><link>https://news.example/1</link><description>` + body + `</description></item>` +
			`<item><title>b</title><link>https://news.example/2</link><description>بعد</description></item></channel></rss>`
	}},
	{"xarchive", "tweets.js", func(body string) string {
		return `window.YTD.tweets.part0 = [{"tweet":{"id_str":"1","full_text":"` + body + `"}},{"tweet":{"id_str":"2","full_text":"بعد"}}]`
	}},
	{"whatsapp", "chat.txt", func(body string) string {
		return "12/9/20, 23:55 - a: " + body + "\n12/9/20, 23:56 - a: بعد\n"
	}},
	{"rocketchat", "history.json", func(body string) string {
		return `{"messages":[{"_id":"1","rid":"r","msg":"` + body + `","ts":"2024-01-01T10:00:00Z","u":{"_id":"u","username":"a"}},` +
			`{"_id":"2","rid":"r","msg":"بعد","ts":"2024-01-01T10:01:00Z","u":{"_id":"u","username":"a"}}],"success":true}`
	}},
	{"xapi", "page.json", func(body string) string {
		return "{\n \"data\": {\"id\": \"1\", \"author_id\": \"9\", \"text\": \"" + body + "\"}\n}\n{\n \"data\": {\"id\": \"2\", \"author_id\": \"9\", \"text\": \"بعد\"}\n}\n"
	}},
	{"xapi", "tweets.jsonl", func(body string) string {
		return `{"data":{"id":"1","author_id":"9","text":"` + body + `"}}` + "\n" + `{"data":{"id":"2","author_id":"9","text":"بعد"}}` + "\n"
	}},
}

// peakHeap samples the live heap until stop is closed and returns the
// largest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// writeOneRecord writes the file of format f whose first message's text is
// size bytes of Arabic words, without holding the text in memory.
func writeOneRecord(b *testing.B, path string, write func(string) string, size int) {
	b.Helper()
	const mark = "\x00BODY\x00"
	prefix, suffix, _ := strings.Cut(write(mark), mark)
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	chunk := strings.Repeat("نص\u0020", 64<<10/5)
	fh.WriteString(prefix)
	for n := 0; n < size; n += len(chunk) {
		fh.WriteString(chunk)
	}
	if _, err := fh.WriteString(suffix); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOneRecord measures the peak live heap, above what was live
// before, of importing a file that holds one message of 20 MB or 100 MB
// and a small one after it (issue 8: 0.9–1.3 GB RSS for 100 MB). Run it
// with -benchtime=1x; peak-MB is the figure.
func BenchmarkOneRecord(b *testing.B) {
	for _, size := range []int{20 << 20, 100 << 20} {
		for _, f := range oneRecordFiles {
			b.Run(fmt.Sprintf("%s/%s/%dMB", f.format, f.name, size>>20), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), f.name)
				writeOneRecord(b, path, f.write, size)
				var peak uint64
				for b.Loop() {
					runtime.GC()
					s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
					metrics.Read(s)
					base := s[0].Value.Uint64()
					stop := make(chan struct{})
					res := peakHeap(stop)
					var posts atomic.Int64
					_, err := Run(context.Background(), Options{Publish: func(_ context.Context, ps []post.Post) error {
						posts.Add(int64(len(ps)))
						return nil
					}}, []string{path}, nil)
					close(stop)
					if p := <-res; p > base {
						peak = max(peak, p-base)
					}
					if err != nil {
						b.Logf("run: %v", err)
					}
					b.ReportMetric(float64(posts.Load()), "posts")
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			})
		}
	}
}
