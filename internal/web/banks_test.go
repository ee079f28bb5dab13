package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// Fixture of the bank tests: a partner bank whose PDQ entry the matched
// post's image is 3 bits from, an own bank whose SHA-256 entry no other
// post has (so its bank side is hash only), and a big bank for paging.
const (
	keyMatched  = "telegram:-100555:9"
	keyBankSide = "telegram:-100777:3"
	bankPartner = "gifct partner" // a space, to check path escaping
	bankOwn     = "وحدة-الرصد"    // an Arabic name
	bankBig     = "imported-tcap" //
	pdqEntry    = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	pdqPost     = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b25" // 3 bits off
	bigEntries  = entryPageSize + 20                                                 // two pages
	partnerName = "منظمة الشريك"
)

// bankFixture is a handler over a store with banks and kept images.
type bankFixture struct {
	h          http.Handler
	st         *sqlite.Store
	mediaDir   string
	postSHA    string // the matched post's kept image
	bankSHA    string // the bank side post's kept image
	postImage  []byte
	pdqID      int64 // entry of bankPartner
	sha256ID   int64 // entry of bankOwn
	unkeptSHA  string
	bigFirstID int64
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keepImage stores b under dir as the importer keeps media.
func keepImage(t testing.TB, dir string, b []byte) string {
	t.Helper()
	sha := sum(b)
	path := post.MediaPath(dir, sha)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return sha
}

// countingBanks counts the calls that read whole banks or every media hash.
type countingBanks struct {
	store.Banks
	loads, scans int
}

func (c *countingBanks) LoadBanks(ctx context.Context) ([]hashbank.Bank, []hashbank.Entry, error) {
	c.loads++
	return c.Banks.LoadBanks(ctx)
}

func (c *countingBanks) MediaHashes(ctx context.Context, typ string, fn func(value, postKey string) error) error {
	c.scans++
	return c.Banks.MediaHashes(ctx, typ, fn)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newBankFixture(t testing.TB) *bankFixture {
	t.Helper()
	ctx := context.Background()
	st := tempStore(t)
	f := &bankFixture{st: st, mediaDir: t.TempDir()}
	f.postImage = readTestdata(t, "match_post.png")
	f.postSHA = keepImage(t, f.mediaDir, f.postImage)
	f.bankSHA = keepImage(t, f.mediaDir, readTestdata(t, "match_bank.png"))
	f.unkeptSHA = sum([]byte("a video the export left out"))

	shared := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	for _, b := range []hashbank.Bank{
		{Name: bankPartner, Kind: hashbank.KindPartner, Enabled: true, Distance: 31, Source: "GIFCT HSDB"},
		{Name: bankOwn, Kind: hashbank.KindOwn, Enabled: true, Source: "analysts"},
		{Name: bankBig, Kind: hashbank.KindImported, Enabled: false, Distance: 10, Source: "TAT TCAP"},
	} {
		if err := st.PutBank(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	es := []hashbank.Entry{
		{Bank: bankPartner, Type: signaltype.PDQ.Name, Hash: pdqEntry, Labels: []post.Label{post.Propaganda}, Entity: "isis",
			Source: "telegram", Enabled: true, Provenance: hashbank.Provenance{SharedBy: partnerName, SharedAt: shared, CaseRef: "CASE-7"}},
		{Bank: bankOwn, Type: signaltype.SHA256.Name, Hash: f.unkeptSHA, Labels: []post.Label{post.Recruitment}, Enabled: true},
	}
	for i := range bigEntries {
		es = append(es, hashbank.Entry{Bank: bankBig, Type: signaltype.MD5.Name, Hash: fmt.Sprintf("%032x", i+1), Enabled: true})
	}
	added, err := st.AddEntries(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != len(es) {
		t.Fatalf("%d of %d entries added", len(added), len(es))
	}
	f.pdqID, f.sha256ID, f.bigFirstID = added[0].ID, added[1].ID, added[2].ID

	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	matched := post.Post{
		Platform: post.Telegram, ID: "9", Kind: "message", PostedAt: at, CollectedAt: at,
		Channel: post.Channel{Platform: post.Telegram, ID: "-100555", Name: "قناة الإصدارات"},
		Text:    "الإصدار الجديد",
		Media: []post.Media{
			{Kind: "photo", Hashes: []post.Hash{{Type: "sha256", Value: f.postSHA}, {Type: "pdq", Value: pdqPost, Quality: 90}}},
			{Kind: "video", Hashes: []post.Hash{{Type: "sha256", Value: f.unkeptSHA}}},
		},
		Signals: []post.Signal{
			{Detector: "hashbank", Label: post.Propaganda, Tier: post.TierOfficial, Entity: "isis", Score: 1 - 3.0/256,
				Explanation: fmt.Sprintf("image 1 (photo) matches entry %d of partner bank %q at PDQ distance 3 (bank allows 31)", f.pdqID, bankPartner),
				Ref:         fmt.Sprintf("bank:%s/entry:%d", bankPartner, f.pdqID),
				Match:       &post.Match{Bank: bankPartner, Entry: f.pdqID, Type: "pdq", Distance: 3, Threshold: 31}},
			{Detector: "hashbank", Label: post.Recruitment, Tier: post.TierPromotional, Score: 1,
				Explanation: fmt.Sprintf("file 2 (video) matches entry %d of own bank %q (exact sha256)", f.sha256ID, bankOwn),
				Ref:         fmt.Sprintf("bank:%s/entry:%d", bankOwn, f.sha256ID),
				Match:       &post.Match{Bank: bankOwn, Entry: f.sha256ID, Type: "sha256"}},
			{Detector: "neardup", Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.83,
				Explanation: "text near-duplicates post " + keyBankSide, Ref: keyBankSide},
		},
		Decision: post.Decision{Label: post.Propaganda, Tier: post.TierOfficial, Entity: "isis", Score: 0.99, Violating: true},
	}
	bankSide := post.Post{
		Platform: post.Telegram, ID: "3", Kind: "message", PostedAt: at.Add(-48 * time.Hour), CollectedAt: at,
		Channel: post.Channel{Platform: post.Telegram, ID: "-100777", Name: "قناة قديمة"},
		Text:    "الإصدار القديم",
		Media:   []post.Media{{Kind: "photo", Hashes: []post.Hash{{Type: "sha256", Value: f.bankSHA}, {Type: "pdq", Value: pdqEntry, Quality: 100}}}},
	}
	if _, err := st.SavePosts(ctx, []post.Post{matched, bankSide}); err != nil {
		t.Fatal(err)
	}
	f.h = New(Options{Authenticate: asAdmin, Store: st, Banks: st, MediaDir: f.mediaDir, Version: "test", Now: func() time.Time { return testNow }})
	return f
}

// post sends a form or JSON body with headers as name, value pairs.
func send(t testing.TB, h http.Handler, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func (f *bankFixture) enabled(t *testing.T) (map[string]bool, map[int64]bool) {
	t.Helper()
	bs, es, err := f.st.LoadBanks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	banks, entries := map[string]bool{}, map[int64]bool{}
	for _, b := range bs {
		banks[b.Name] = b.Enabled
	}
	for _, e := range es {
		entries[e.ID] = e.Enabled
	}
	return banks, entries
}

func TestBanksPages(t *testing.T) {
	f := newBankFixture(t)
	tests := []struct {
		name, target string
		status       int
		want, not    []string
	}{
		{"list Arabic", "/banks", 200, []string{
			`<html lang="ar" dir="rtl">`, `<a href="/banks">بنوك البصمات</a>`, `href="/banks/gifct%20partner"`, "<bdi>" + bankOwn + "</bdi>",
			"من شريك", "خاص بالوحدة", "مستورد", "GIFCT HSDB", `<td class="num">31</td>`, `<td class="num">120</td>`,
			`<span class="badge state-off">معطَّل</span>`, `hx-post="/banks/imported-tcap/enabled"`, `name="enabled" value="1"`,
		}, nil},
		{"list English", "/banks?lang=en", 200, []string{`<html lang="en" dir="ltr">`, ">Hash banks<", ">partner<", ">own<", ">imported<", "Max PDQ distance", ">Disable<", ">Enable<"}, nil},
		{"bank entries", "/banks/" + escKey(bankPartner), 200, []string{
			pdqEntry, "<bdi>" + partnerName + "</bdi>", "CASE-7", `datetime="2026-10-02T00:00:00Z"`, "دعاية", "الدولة الإسلامية",
			fmt.Sprintf(`<tr id="entry-%d">`, 0), // replaced below
		}, nil},
		{"bank entries English", "/banks/" + escKey(bankPartner) + "?lang=en", 200, []string{"Shared by", "Case ref", "Type"}, nil},
		{"Arabic bank name", "/banks/" + escKey(bankOwn), 200, []string{f.unkeptSHA, "تجنيد"}, nil},
		{"first page", "/banks/" + bankBig, 200, []string{"<b>1–100</b> / 120", `href="/banks/imported-tcap?offset=100" rel="next"`, fmt.Sprintf("%032x", 100)}, []string{fmt.Sprintf("%032x", 101), `rel="prev"`}},
		{"second page", "/banks/" + bankBig + "?offset=100", 200, []string{"<b>101–120</b> / 120", fmt.Sprintf("%032x", 120), `href="/banks/imported-tcap" rel="prev"`, `name="offset" value="100"`}, []string{fmt.Sprintf("%032x", 100) + "<", `rel="next"`}},
		{"missing bank", "/banks/nope", 404, []string{"404"}, nil},
		{"bad offset", "/banks/" + bankBig + "?offset=-1", 400, []string{"offset"}, nil},
	}
	tests[2].want[len(tests[2].want)-1] = fmt.Sprintf(`<tr id="entry-%d">`, f.pdqID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, f.h, tt.target)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			body := w.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
			if m := inlineCode.FindString(body); m != "" {
				t.Errorf("inline style or script: %q", m)
			}
		})
	}
	t.Run("no banks yet", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for _, target := range []string{"/banks", "/banks?lang=en"} {
			body := get(t, New(Options{Authenticate: asAdmin, Store: st, Banks: st}), target).Body.String()
			if !strings.Contains(body, `<code dir="ltr">raqib bank import --bank NAME`) || strings.Contains(body, "raqib known") {
				t.Errorf("%s does not point at raqib bank import:\n%s", target, body)
			}
		}
	})
	t.Run("store without banks", func(t *testing.T) {
		h := New(Options{Authenticate: asAdmin, Store: f.st})
		if body := get(t, h, "/banks").Body.String(); !strings.Contains(body, catalogue["ar"]["banks.nostore"]) {
			t.Error("the page does not say the store keeps no banks")
		}
		if w := get(t, h, "/api/banks"); w.Code != 404 || !strings.Contains(w.Body.String(), "keeps no hash banks") {
			t.Errorf("API: %d %s", w.Code, w.Body)
		}
	})
}

func TestToggle(t *testing.T) {
	f := newBankFixture(t)
	partnerURL := "/banks/" + escKey(bankPartner) + "/enabled"
	entryURL := fmt.Sprintf("/banks/%s/entries/%d/enabled", escKey(bankPartner), f.pdqID)
	tests := []struct {
		name, target, body string
		headers            []string
		status             int
		location           string   // redirect, "" for none
		want               []string // in the body
		bank               *bool    // bankPartner's state after, nil for unchanged
		entry              *bool    // the PDQ entry's state after
	}{
		{"bank off without JS", partnerURL, "enabled=0", nil, 303, "/banks", nil, ptr(false), nil},
		{"bank on with htmx", partnerURL, "enabled=1", []string{"HX-Request", "true", "Sec-Fetch-Site", "same-origin"}, 200, "",
			[]string{`<tr id="bank-gifct partner">`, `state-on`, `value="0"`, "تعطيل"}, ptr(true), nil},
		{"entry off with htmx", entryURL, "enabled=0&offset=0", []string{"HX-Request", "true", "Origin", "http://example.com"}, 200, "",
			[]string{fmt.Sprintf(`<tr id="entry-%d" class="row-off">`, f.pdqID), `value="1"`, "تفعيل", pdqEntry}, nil, ptr(false)},
		{"entry on without JS", entryURL, "enabled=1&offset=100", nil, 303, fmt.Sprintf("/banks/gifct%%20partner?offset=100#entry-%d", f.pdqID), nil, nil, ptr(true)},
		{"cross-origin bank", partnerURL, "enabled=0", []string{"Origin", "https://evil.example"}, 403, "", []string{"cross-origin"}, nil, nil},
		{"cross-site fetch", entryURL, "enabled=0", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}, 403, "", nil, nil, nil},
		{"same-site is not same-origin", partnerURL, "enabled=0", []string{"Sec-Fetch-Site", "same-site"}, 403, "", nil, nil, nil},
		{"bad value", partnerURL, "enabled=maybe", nil, 400, "", []string{"enabled=&#34;maybe&#34;"}, nil, nil},
		{"unknown bank", "/banks/nope/enabled", "enabled=0", nil, 404, "", nil, nil, nil},
		{"entry of another bank", fmt.Sprintf("/banks/%s/entries/%d/enabled", bankBig, f.pdqID), "enabled=0", nil, 404, "", nil, nil, nil},
		{"bad entry id", "/banks/" + bankBig + "/entries/x/enabled", "enabled=0", nil, 400, "", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			banksBefore, entriesBefore := f.enabled(t)
			w := send(t, f.h, tt.target, tt.body, tt.headers...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q: %s", s, w.Body)
				}
			}
			banks, entries := f.enabled(t)
			wantBank, wantEntry := banksBefore[bankPartner], entriesBefore[f.pdqID]
			if tt.bank != nil {
				wantBank = *tt.bank
			}
			if tt.entry != nil {
				wantEntry = *tt.entry
			}
			if banks[bankPartner] != wantBank || entries[f.pdqID] != wantEntry {
				t.Errorf("stored: bank %v, entry %v; want %v, %v", banks[bankPartner], entries[f.pdqID], wantBank, wantEntry)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestMedia(t *testing.T) {
	f := newBankFixture(t)
	text := keepImage(t, f.mediaDir, []byte("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"))
	html := keepImage(t, f.mediaDir, []byte("<!doctype html><script>alert(1)</script>"))
	// A link inside the media folder that leads out of it.
	outside := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(outside, f.postImage, 0o600); err != nil {
		t.Fatal(err)
	}
	linked := strings.Repeat("ab", 32)
	if err := os.MkdirAll(filepath.Dir(post.MediaPath(f.mediaDir, linked)), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, post.MediaPath(f.mediaDir, linked)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target string
		status       int
	}{
		{"kept image", "/media/" + f.postSHA, 200},
		{"upper-case name", "/media/" + strings.ToUpper(f.postSHA), 404},
		{"not hex", "/media/" + strings.Repeat("g", 64), 404},
		{"short", "/media/" + f.postSHA[:63], 404},
		{"traversal", "/media/..%2F..%2F..%2Fetc%2Fpasswd", 404},
		{"traversal in the folder part", "/media/" + "..%2F" + f.postSHA[:61], 404},
		{"not kept", "/media/" + f.unkeptSHA, 404},
		{"svg is not served", "/media/" + text, 415},
		{"html is not served", "/media/" + html, 415},
		{"link out of the folder", "/media/" + linked, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, f.h, tt.target)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status != 200 {
				if strings.HasPrefix(w.Header().Get("Content-Type"), "image/") {
					t.Errorf("refusal sent as %s", w.Header().Get("Content-Type"))
				}
				return
			}
			if w.Body.String() != string(f.postImage) {
				t.Error("served bytes differ from the kept file")
			}
			for h, want := range map[string]string{
				"Content-Type": "image/png", "Cache-Control": "private, max-age=3600", "Content-Disposition": "inline",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := w.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
	t.Run("no media folder", func(t *testing.T) {
		h := New(Options{Authenticate: asAdmin, Store: f.st, Banks: f.st})
		if w := get(t, h, "/media/"+f.postSHA); w.Code != 404 {
			t.Errorf("status %d, want 404", w.Code)
		}
	})
}

func TestMatchPanel(t *testing.T) {
	f := newBankFixture(t)
	blurred := regexp.MustCompile(`<img class="blurred" src="/media/([0-9a-f]{64})"`)
	tests := []struct {
		name, target string
		want         []string
	}{
		{"Arabic", postURL(keyMatched), []string{
			`<html lang="ar" dir="rtl">`, catalogue["ar"]["match.warning"], catalogue["ar"]["match.reveal"],
			fmt.Sprintf(`<a class="entry-link" href="/banks/gifct%%20partner?entry=%d#entry-%d">#%d</a>`, f.pdqID, f.pdqID, f.pdqID),
			fmt.Sprintf(`href="/banks/%s?entry=%d#entry-%d"`, escKey(bankOwn), f.sha256ID, f.sha256ID),
			`<span class="badge kind-partner">من شريك</span>`, "<bdi>" + partnerName + "</bdi>", "CASE-7", "الدولة الإسلامية",
			`<dd><span class="num">3</span></dd>`, "تطابق تام",
			`<a href="` + postURL(keyBankSide) + `"><code dir="ltr">` + keyBankSide + `</code></a>`,
			// The SHA-256 entry has no other post: hash only, with who shared it.
			catalogue["ar"]["match.hashonly"] + " <bdi>analysts</bdi>", catalogue["ar"]["match.noimage"],
			catalogue["ar"]["match.similarity"] + ` <span class="num">0.83</span>`,
			`<input type="checkbox" class="reveal-toggle" id="reveal-m0-post">`, `<label for="reveal-m0-post">`,
		}},
		{"English", postURL(keyMatched) + "?lang=en", []string{
			`<html lang="en" dir="ltr">`, "may show violent", "Hash only, shared by <bdi>analysts</bdi>", "Known-content matches", "exact match",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, f.h, tt.target)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			var imgs []string
			for _, m := range blurred.FindAllStringSubmatch(body, -1) {
				imgs = append(imgs, m[1])
			}
			if want := []string{f.postSHA, f.bankSHA}; strings.Join(imgs, ",") != strings.Join(want, ",") {
				t.Errorf("blurred images %v, want this post's then the bank's %v", imgs, want)
			}
			if n := strings.Count(body, "<img"); n != 2 {
				t.Errorf("%d images, want 2, all blurred", n)
			}
			if m := inlineCode.FindString(body); m != "" {
				t.Errorf("inline style or script: %q", m)
			}
		})
	}
	t.Run("an entry link opens the page that lists the entry", func(t *testing.T) {
		id := f.bigFirstID + entryPageSize + 7
		w := get(t, f.h, fmt.Sprintf("/banks/%s?entry=%d", escKey(bankBig), id))
		if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`id="entry-%d"`, id)) {
			t.Errorf("status %d; the page does not list entry %d", w.Code, id)
		}
		if w := get(t, f.h, "/banks/"+escKey(bankBig)+"?entry=x"); w.Code != 400 {
			t.Errorf("bad entry id: status %d, want 400", w.Code)
		}
	})
	t.Run("the page reads no bank whole", func(t *testing.T) {
		c := &countingBanks{Banks: f.st}
		h := New(Options{Authenticate: asAdmin, Store: f.st, Banks: c, MediaDir: f.mediaDir, Version: "test", Now: func() time.Time { return testNow }})
		body := get(t, h, postURL(keyMatched)).Body.String()
		if c.loads != 0 || c.scans != 0 || !strings.Contains(body, keyBankSide) {
			t.Errorf("%d LoadBanks and %d MediaHashes calls for one post page", c.loads, c.scans)
		}
	})
	t.Run("disabled bank side image is gone", func(t *testing.T) {
		if err := os.Remove(post.MediaPath(f.mediaDir, f.bankSHA)); err != nil {
			t.Fatal(err)
		}
		body := get(t, f.h, postURL(keyMatched)).Body.String()
		if !strings.Contains(body, catalogue["ar"]["match.hashonly"]+" <bdi>"+partnerName+"</bdi>") {
			t.Error("without the bank image the panel does not fall back to hash only with the partner")
		}
	})
	t.Run("store without banks", func(t *testing.T) {
		h := New(Options{Authenticate: asAdmin, Store: f.st, MediaDir: f.mediaDir})
		body := get(t, h, postURL(keyMatched)).Body.String()
		if !strings.Contains(body, "bank:"+bankPartner) || !strings.Contains(body, catalogue["ar"]["match.gone"]) {
			t.Error("without banks the panel does not show the reference")
		}
	})
}

func TestBanksAPI(t *testing.T) {
	f := newBankFixture(t)
	t.Run("banks", func(t *testing.T) {
		w := get(t, f.h, "/api/banks")
		var got struct {
			Banks []bankView `json:"banks"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
			t.Fatalf("%d %s: %v", w.Code, w.Body, err)
		}
		counts := map[string][2]int{}
		for _, b := range got.Banks {
			counts[b.Name] = [2]int{b.Entries, b.Live}
		}
		want := map[string][2]int{bankPartner: {1, 1}, bankOwn: {1, 1}, bankBig: {bigEntries, bigEntries}}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		for _, s := range []string{`"kind":"partner"`, `"distance":31`, `"source":"GIFCT HSDB"`, `"enabled_entries":1`} {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("body lacks %s", s)
			}
		}
	})
	tests := []struct {
		name, method, target, body string
		headers                    []string
		status                     int
		want                       []string
	}{
		{"entries", "GET", "/api/banks/" + escKey(bankPartner), "", nil, 200, []string{
			`"bank":{"name":"gifct partner"`, `"hash":"` + pdqEntry + `"`, `"labels":["propaganda"]`,
			`"provenance":{"shared_by":"` + partnerName + `","shared_at":"2026-10-02T00:00:00Z","case_ref":"CASE-7"}`, `"total":1`,
		}},
		{"entries paged", "GET", "/api/banks/" + bankBig + "?offset=110&limit=5", "", nil, 200, []string{`"total":120`, `"offset":110`, fmt.Sprintf(`"hash":"%032x"`, 111)}},
		{"no labels is an empty list", "GET", "/api/banks/" + bankBig + "?limit=1", "", nil, 200, []string{`"labels":[]`}},
		{"unknown bank", "GET", "/api/banks/nope", "", nil, 404, []string{`"error"`}},
		{"bad limit", "GET", "/api/banks/" + bankBig + "?limit=x", "", nil, 400, []string{"limit"}},
		{"bank off", "POST", "/api/banks/" + escKey(bankPartner) + "/enabled", `{"enabled": false}`, []string{"Sec-Fetch-Site", "same-origin"}, 200, []string{`"enabled":false`, `"name":"gifct partner"`}},
		{"entry off", "POST", fmt.Sprintf("/api/entries/%d/enabled", f.sha256ID), `{"enabled":false}`, nil, 200, []string{`"entry":{`, `"enabled":false`}},
		{"entry cross-origin", "POST", fmt.Sprintf("/api/entries/%d/enabled", f.pdqID), `{"enabled":false}`, []string{"Origin", "https://evil.example"}, 403, nil},
		{"bank cross-origin", "POST", "/api/banks/" + bankBig + "/enabled", `{"enabled":true}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, nil},
		{"no enabled field", "POST", "/api/banks/" + bankBig + "/enabled", `{}`, nil, 400, []string{"enabled"}},
		{"not JSON", "POST", "/api/banks/" + bankBig + "/enabled", `enabled=1`, nil, 400, []string{"error"}},
		{"unknown field", "POST", "/api/banks/" + bankBig + "/enabled", `{"enabled":true,"distance":255}`, nil, 400, []string{"distance"}},
		{"unknown entry", "POST", "/api/entries/999999/enabled", `{"enabled":true}`, nil, 404, nil},
		{"bad entry id", "POST", "/api/entries/x/enabled", `{"enabled":true}`, nil, 400, nil},
		{"unknown bank toggle", "POST", "/api/banks/nope/enabled", `{"enabled":true}`, nil, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			if tt.method == "GET" {
				w = get(t, f.h, tt.target, tt.headers...)
			} else {
				w = send(t, f.h, tt.target, tt.body, append([]string{"Content-Type", "application/json"}, tt.headers...)...)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status != 403 && !json.Valid(w.Body.Bytes()) {
				t.Errorf("invalid JSON: %s", w.Body)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %s: %s", s, w.Body)
				}
			}
		})
	}
	banks, entries := f.enabled(t)
	if banks[bankPartner] || entries[f.sha256ID] || !entries[f.pdqID] || banks[bankBig] {
		t.Errorf("stored after the calls: banks %v, entries %d=%v %d=%v", banks, f.sha256ID, entries[f.sha256ID], f.pdqID, entries[f.pdqID])
	}
}

func FuzzReadEnabled(f *testing.F) {
	for _, s := range []string{`{"enabled":true}`, `{"enabled":false}`, `{}`, `{"enabled":null}`, `{"enabled":1}`, `{"enabled":true,"x":1}`, `[]`, ``, `{"enabled":true}{"enabled":false}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		on, err := readEnabled(strings.NewReader(body))
		if err != nil {
			return
		}
		var v struct{ Enabled bool }
		if json.NewDecoder(strings.NewReader(body)).Decode(&v) != nil || v.Enabled != on {
			t.Fatalf("readEnabled(%q) = %v, but the body says otherwise", body, on)
		}
	})
}

// FuzzMedia requests /media with any name: only the kept images may be
// served, whatever escapes or dots the name holds.
func FuzzMedia(f *testing.F) {
	fx := newBankFixture(f)
	for _, s := range []string{fx.postSHA, fx.bankSHA, strings.ToUpper(fx.postSHA), "../" + fx.postSHA[:2] + "/" + fx.postSHA, fx.postSHA[:2] + "/" + fx.postSHA, "..", "%2e%2e", fx.postSHA + "\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path, r.URL.RawPath = "/media/"+name, "/media/"+url.PathEscape(name)
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		if w.Code == http.StatusOK && name != fx.postSHA && name != fx.bankSHA {
			t.Fatalf("/media/%q served %d bytes", name, w.Body.Len())
		}
	})
}

func BenchmarkMatchPanel(b *testing.B) {
	f := newBankFixture(b)
	target := postURL(keyMatched)
	b.ReportAllocs()
	for b.Loop() {
		if w := get(b, f.h, target); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
