package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/store"
)

// originals are hand-made, fictional supporter posts, each unlike the
// others.
var originals = []string{
	"بيان من جنود الخلافة في ولاية الشام: الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة والصليبيين",
	"يا أنصار الدولة الإسلامية انشروا إصدار مؤسسة الفرقان الجديد فالخلافة باقية بإذن الله",
	"تقبل الله الاستشهادي أبا عمر من جنود الخلافة الذي انغمس في صفوف المرتدين في ولاية سيناء",
	"الدولة الإسلامية باقية وتتمدد، ولاية العراق تعلن السيطرة على قرى جديدة وطرد الصحوات منها",
	"أخي المسلم انفر إلى أرض الخلافة ولا تقعد مع القاعدين فالدولة الإسلامية تنتظر جنودها",
	"جنود الخلافة يغنمون أسلحة المرتدين في هجوم مبارك على ثكنة للجيش الطاغوتي ولله الحمد",
}

// scaleOutInput writes the originals by a few authors, then a second file
// of close copies (a hashtag added) by many others: the copies are
// recognized through the shared index whichever worker takes them.
func scaleOutInput(t *testing.T, dir string) (first, second string) {
	t.Helper()
	write := func(name string, lines func(emit func(id, author, text string))) string {
		var b bytes.Buffer
		lines(func(id, author, text string) {
			line, _ := json.Marshal(map[string]any{
				"data":     map[string]any{"id": id, "text": text, "author_id": author, "lang": "ar", "created_at": "2026-12-01T10:00:00.000Z"},
				"includes": map[string]any{"users": []map[string]any{{"id": author, "username": "u" + author, "name": "user " + author}}},
			})
			b.Write(line)
			b.WriteByte('\n')
		})
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first = write("originals.jsonl", func(emit func(id, author, text string)) {
		for i, txt := range originals {
			emit(fmt.Sprint(1000+i), fmt.Sprint(i%2+1), txt)
		}
	})
	second = write("copies.jsonl", func(emit func(id, author, text string)) {
		for c := range 40 {
			emit(fmt.Sprint(2000+c), fmt.Sprint(100+c%7), "#انشروا "+originals[c%len(originals)])
		}
	})
	return first, second
}

// scaleOutOutcome is what must not depend on the number of workers.
type scaleOutOutcome struct {
	Counts  store.Counts
	Flagged map[string]int    // author -> violating posts counted
	Links   map[string]string // post -> the violating text it copies
	Groups  map[string]int    // case group -> posts in the open case
}

// runScaleOut imports the input through an external NATS into a fresh
// PostgreSQL schema with n `raqib worker` processes (in-process here, each
// with one worker) and reports the outcome.
// pgTestSchema creates a schema of its own in the database at pg, dropped
// when the test ends, and returns the URL that uses it.
func pgTestSchema(t *testing.T, ctx context.Context, pg string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "raqib_scaleout_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	if strings.Contains(pg, "?") {
		return pg + "&search_path=" + schema
	}
	return pg + "?search_path=" + schema
}

func runScaleOut(t *testing.T, pg, nats string, n int, files ...string) scaleOutOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var b [6]byte
	rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	url := pgTestSchema(t, ctx, pg)
	args := []string{"--store", url, "--nats", nats, "--nats-namespace", "scaleout" + tag, "--workers", "1"}

	wctx, stopWorkers := context.WithCancel(ctx)
	done := make(chan error, n)
	for range n {
		c := testConfig(t, append([]string{"worker"}, args...)...)
		go func() { done <- Run(wctx, "worker", c) }()
	}
	var out scaleOutOutcome
	for _, f := range files {
		c := testConfig(t, append([]string{"ingest", "--progress", "never"}, args...)...)
		c.Args = []string{f}
		rep, err := func() (report, error) {
			s, err := openSystem(ctx, c)
			if err != nil {
				return report{}, err
			}
			defer s.close()
			return s.importFiles(ctx, c.Args, nil)
		}()
		if err != nil {
			t.Fatalf("ingest %s: %v", f, err)
		}
		out.Counts.Add(rep.Counts)
	}
	stopWorkers()
	for range n {
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}

	c := testConfig(t, append([]string{"worker"}, args...)...)
	st, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.Posts(ctx, store.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out.Flagged, out.Links, out.Groups = map[string]int{}, map[string]string{}, map[string]int{}
	var keys []string
	for _, p := range ps {
		keys = append(keys, rules.FlaggedKey(&p))
		for _, s := range p.Signals {
			if s.Detector == recycled.Name {
				out.Links[p.Key()] = s.Ref
			}
		}
	}
	slices.Sort(keys)
	counts, err := st.CountEvents(ctx, slices.Compact(keys), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(out.Flagged, counts)
	cases, err := st.Cases(ctx, post.CaseOpen, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range cases {
		out.Groups[cs.Group] += cs.Posts
	}
	return out
}

// TestScaleOutAgrees runs the same import through one worker and through
// two worker processes over one external NATS and PostgreSQL: what the
// workers share through the store (counters, the recycled-text index,
// case groups) must come out the same.
func TestScaleOutAgrees(t *testing.T) {
	pg, nats := os.Getenv("RAQIB_TEST_PG"), os.Getenv("RAQIB_TEST_NATS")
	if pg == "" || nats == "" {
		t.Skip("RAQIB_TEST_PG and RAQIB_TEST_NATS are not both set; skipping the scale-out test")
	}
	if testing.Short() {
		t.Skip("-short: skipping the scale-out test")
	}
	first, second := scaleOutInput(t, t.TempDir())
	one := runScaleOut(t, pg, nats, 1, first, second)
	two := runScaleOut(t, pg, nats, 2, first, second)
	if one.Counts.Inserted != len(originals)+40 || len(one.Links) != 40 {
		t.Fatalf("one worker: %+v, %d copies linked; want every post stored and every copy linked", one.Counts, len(one.Links))
	}
	if one.Counts != two.Counts {
		t.Errorf("counts: one worker %+v, two %+v", one.Counts, two.Counts)
	}
	for name, m := range map[string][2]map[string]int{"flagged counts": {one.Flagged, two.Flagged}, "case groups": {one.Groups, two.Groups}} {
		if !maps.Equal(m[0], m[1]) {
			t.Errorf("%s: one worker %v, two %v", name, m[0], m[1])
		}
	}
	if !maps.Equal(one.Links, two.Links) {
		t.Errorf("near-duplicate links: one worker %v, two %v", one.Links, two.Links)
	}
}
