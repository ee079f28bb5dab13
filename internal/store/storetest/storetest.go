// Package storetest is the conformance suite every store.Store
// implementation must pass, so that the embedded and the scale-out stores
// behave the same.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// sample returns a hand-made Arabic post; text is written with diacritics on
// purpose so that search must go through normalization.
func sample(id, text string) post.Post {
	p := post.Post{
		Platform: post.Telegram,
		ID:       id,
		Kind:     post.Message,
		Channel:  post.Channel{Platform: post.Telegram, ID: "1001", Name: "قناة تجريبية", Kind: "public_channel"},
		Author:   post.Account{Platform: post.Telegram, ID: "user42", DisplayName: "أبو تجربة"},
		Text:     text,
		PostedAt: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC),
		Raw:      []byte(`{"id":` + id + `}`),
		Media:    []post.Media{{Kind: "photo", Path: "photos/1.jpg", Hashes: []post.Hash{{Type: "sha256", Value: "ab"}, {Type: "md5", Value: "cd"}}}},
	}
	p.Norm = arabic.Normalize(p.Text)
	return p
}

// Run runs the suite against a fresh, empty store made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("spans kept", func(t *testing.T) {
		// The stored document leaves out span texts that the normalized
		// text holds; reading the post puts them back, and a span whose
		// text is not there keeps its own.
		s := open(t)
		p := sample("span", "دولة الخلافة باقية")
		w := len("دوله")
		p.Signals = []post.Signal{{Detector: "lexicon", Label: post.Propaganda, Score: 0.9, Explanation: "slogan", Spans: []post.Span{
			{Start: 0, End: w, Text: p.Norm[:w], Why: "entry"},
			{Start: w + 1, End: len(p.Norm), Text: "other text", Why: "not the norm"},
			{Start: 0, End: 0},
		}}, {Detector: "rules", Label: post.Propaganda, Score: 0.9, Explanation: "rules: slogan"}}
		want := slices.Clone(p.Signals)
		want[0].Spans = slices.Clone(p.Signals[0].Spans)
		if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Signals, want) {
			t.Errorf("saving changed the caller's signals: %+v", p.Signals)
		}
		got, _, err := s.Post(ctx, p.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Signals, want) {
			t.Errorf("stored signals %+v, want %+v", got.Signals, want)
		}
	})

	t.Run("insert duplicate edit", func(t *testing.T) {
		s := open(t)
		p := sample("1", "بسم اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ")
		c, err := s.SavePosts(ctx, []post.Post{p})
		if err != nil {
			t.Fatal(err)
		}
		if c.Inserted != 1 {
			t.Fatalf("first save: %+v, want 1 inserted", c)
		}
		c, err = s.SavePosts(ctx, []post.Post{p})
		if err != nil {
			t.Fatal(err)
		}
		if c.Duplicates != 1 || c.Inserted != 0 {
			t.Fatalf("re-save: %+v, want 1 duplicate", c)
		}
		edited := p
		edited.Text = "بسم الله الرحمن الرحيم (معدلة)"
		edited.Norm = arabic.Normalize(edited.Text)
		edited.EditedAt = p.PostedAt.Add(time.Hour)
		edited.Raw = []byte(`{"id":1,"edited":true}`)
		c, err = s.SavePosts(ctx, []post.Post{edited})
		if err != nil {
			t.Fatal(err)
		}
		if c.Edited != 1 {
			t.Fatalf("edit: %+v, want 1 edited", c)
		}
		got, versions, err := s.Post(ctx, p.Key())
		if err != nil {
			t.Fatal(err)
		}
		if got.Text != edited.Text || string(got.Raw) != string(edited.Raw) {
			t.Errorf("stored %q raw %s, want the edited text and raw", got.Text, got.Raw)
		}
		if len(versions) != 1 || versions[0].Text != p.Text || string(versions[0].Raw) != string(p.Raw) {
			t.Errorf("versions = %+v, want the original kept verbatim", versions)
		}
		// Search sees the new text only.
		for q, want := range map[string]int{"معدله": 1, "الله": 1} {
			ps, err := s.Posts(ctx, store.Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != want {
				t.Errorf("search %q: %d posts, want %d", q, len(ps), want)
			}
		}
	})

	t.Run("edit in the same batch", func(t *testing.T) {
		s := open(t)
		first := sample("1", "النص الأول")
		second := first
		second.Text, second.Norm = "النص الثاني", arabic.Normalize("النص الثاني")
		c, err := s.SavePosts(ctx, []post.Post{first, second})
		if err != nil {
			t.Fatal(err)
		}
		if c.Inserted != 1 || c.Edited != 1 {
			t.Errorf("counts %+v, want 1 inserted and 1 edited", c)
		}
		for q, want := range map[string]int{"الثاني": 1, "الأول": 0} {
			ps, err := s.Posts(ctx, store.Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != want {
				t.Errorf("search %q: %d posts, want %d", q, len(ps), want)
			}
		}
		// The index must stay consistent for later edits.
		third := first
		third.Text, third.Norm = "النص الثالث", arabic.Normalize("النص الثالث")
		if _, err := s.SavePosts(ctx, []post.Post{third}); err != nil {
			t.Fatal(err)
		}
		if ps, err := s.Posts(ctx, store.Query{Text: "الثاني"}); err != nil || len(ps) != 0 {
			t.Errorf("old text still found after a later edit: %d (err %v)", len(ps), err)
		}
	})

	t.Run("search normalizes", func(t *testing.T) {
		s := open(t)
		ps := []post.Post{
			sample("1", "بسم اللَّهِ الرَّحْمَٰنِ"),
			sample("2", "أخبار الدولة الإسلامية اليوم"),
			sample("3", "نتائج مباراة كرة القدم"),
		}
		if _, err := s.SavePosts(ctx, ps); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"الله", []string{"1"}},
			{"الاسلاميه", []string{"2"}},
			{"الإسلامية", []string{"2"}},
			{"كرة", []string{"3"}},
			{`"OR" *`, nil},
			{"غيرموجود", nil},
		} {
			t.Run(tc.q, func(t *testing.T) {
				got, err := s.Posts(ctx, store.Query{Text: tc.q})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, p := range got {
					ids = append(ids, p.ID)
				}
				if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) {
					t.Errorf("search %q = %v, want %v", tc.q, ids, tc.want)
				}
			})
		}
	})

	t.Run("decision filters and cases", func(t *testing.T) {
		s := open(t)
		bad := sample("1", "نص مخالف تجريبي")
		bad.Decision = post.Decision{Label: post.Propaganda, Tier: post.TierOfficial, Entity: "isis", Score: 0.97, Violating: true, Reasons: []string{"test"}}
		news := sample("2", "خبر عن هجوم")
		news.Decision = post.Decision{Label: post.News, Score: 0.1}
		c, err := s.SavePosts(ctx, []post.Post{bad, news})
		if err != nil {
			t.Fatal(err)
		}
		// Saving opens no case: the worker proposes cases once the batch is
		// committed.
		if c.Cases != 0 {
			t.Errorf("SavePosts opened %d cases, want 0", c.Cases)
		}
		d := bad.Decision
		proposal := post.CaseProposal{PostKey: bad.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score, Reason: "test"}
		if n, err := s.ProposeCases(ctx, []post.CaseProposal{proposal}); err != nil || n != 1 {
			t.Errorf("ProposeCases opened %d cases (err %v), want 1", n, err)
		}
		// Re-detection of the same post must not open a second case.
		if _, err = s.SavePosts(ctx, []post.Post{bad}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ProposeCases(ctx, []post.CaseProposal{proposal}); err != nil || n != 0 {
			t.Errorf("proposing again opened %d cases (err %v), want 0", n, err)
		}
		for _, tc := range []struct {
			name string
			q    store.Query
			want int
		}{
			{"violating", store.Query{Violating: true}, 1},
			{"label", store.Query{Label: post.News}, 1},
			{"tier", store.Query{Tier: post.TierOfficial}, 1},
			{"entity", store.Query{Entity: "isis"}, 1},
			{"platform", store.Query{Platform: post.X}, 0},
			{"all", store.Query{}, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.Posts(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tc.want {
					t.Errorf("%d posts, want %d", len(got), tc.want)
				}
			})
		}
		cs, err := s.Cases(ctx, post.CaseOpen, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].PostKey != bad.Key() || cs[0].Label != post.Propaganda || cs[0].Posts != 1 || cs[0].Reason != "test" {
			t.Errorf("cases = %+v", cs)
		}
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Posts != 2 || st.Violating != 1 || st.OpenCases != 1 || st.Accounts != 1 || st.ByPlatform["telegram"] != 2 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("author and channel filters", func(t *testing.T) {
		s := open(t)
		by := func(id, author, channel, text string) post.Post {
			p := sample(id, text)
			p.Author.ID, p.Channel.ID = author, channel
			return p
		}
		// WhatsApp authors are display names; "user4" is a prefix of
		// "user42" and must not match it.
		ps := []post.Post{
			by("1", "user42", "1001", "نص أول عن المدينة"),
			by("2", "user4", "1001", "نص ثان عن المدينة"),
			by("3", "أبو محمد", "1002", "رسالة في المجموعة"),
			by("4", "user42", "1002", "رسالة أخرى"),
		}
		if _, err := s.SavePosts(ctx, ps); err != nil {
			t.Fatal(err)
		}
		// An edit moves the post's words in the index, not its author.
		edited := ps[3]
		edited.Text, edited.Norm = "رسالة معدلة", arabic.Normalize("رسالة معدلة")
		if _, err := s.SavePosts(ctx, []post.Post{edited}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			q    store.Query
			want []string
		}{
			{"author", store.Query{Author: "user42"}, []string{"1", "4"}},
			{"prefix author", store.Query{Author: "user4"}, []string{"2"}},
			{"display-name author", store.Query{Author: "أبو محمد"}, []string{"3"}},
			{"author and text", store.Query{Author: "user42", Text: "المدينة"}, []string{"1"}},
			{"author and edited text", store.Query{Author: "user42", Text: "معدلة"}, []string{"4"}},
			{"author and old text", store.Query{Author: "user42", Text: "أخرى"}, nil},
			{"author id is not text", store.Query{Text: "user42"}, nil},
			{"author token is not text", store.Query{Text: "a757365723432"}, nil},
			{"unknown author", store.Query{Author: "nobody"}, nil},
			{"channel", store.Query{Channel: "1002"}, []string{"3", "4"}},
			{"channel and author", store.Query{Channel: "1001", Author: "user4"}, []string{"2"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.Posts(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				ids := map[string]bool{}
				for _, p := range got {
					ids[p.ID] = true
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%d posts %v, want %v", len(got), ids, tc.want)
				}
				for _, id := range tc.want {
					if !ids[id] {
						t.Errorf("posts %v, want %v", ids, tc.want)
					}
				}
			})
		}
	})

	t.Run("sources", func(t *testing.T) {
		s := open(t)
		t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		chat := post.Source{ID: post.SourceID("telegram", "/exports/chat/result.json"), Format: "telegram",
			Platform: post.Telegram, Location: "/exports/chat/result.json"}
		feed := post.Source{ID: post.SourceID("feed", "https://example.org/rss"), Format: "feed", Location: "https://example.org/rss"}
		from := func(id string, src post.Source) post.Post {
			p := sample(id, "نص من المصدر "+id)
			p.Origin.Source = src.ID
			return p
		}
		batch := []post.Post{from("1", chat), from("2", chat), from("3", chat), from("4", feed)}
		// Posts can be stored before their import run records the source,
		// and a re-import adds no post to it.
		for range 2 {
			if _, err := s.SavePosts(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		run := func(src post.Source, at time.Time, read, rejected int64) {
			t.Helper()
			src.FirstCollected, src.LastCollected, src.Read, src.Rejected = at, at.Add(time.Minute), read, rejected
			if err := s.SaveSource(ctx, src); err != nil {
				t.Fatal(err)
			}
		}
		run(chat, t0, 4, 1)
		run(chat, t0.Add(24*time.Hour), 3, 0)
		run(feed, t0.Add(time.Hour), 1, 0)
		got, err := s.Sources(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []post.Source{
			{ID: chat.ID, Format: "telegram", Platform: post.Telegram, Location: chat.Location,
				FirstCollected: t0, LastCollected: t0.Add(24*time.Hour + time.Minute), Imports: 2, Read: 7, Rejected: 1, Posts: 3},
			{ID: feed.ID, Format: "feed", Location: feed.Location,
				FirstCollected: t0.Add(time.Hour), LastCollected: t0.Add(time.Hour + time.Minute), Imports: 1, Read: 1, Posts: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("sources = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("source %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		if newest, err := s.Sources(ctx, 1); err != nil || len(newest) != 1 || newest[0].ID != chat.ID {
			t.Errorf("Sources(1) = %+v (err %v), want the chat source alone", newest, err)
		}
		ps, err := s.Posts(ctx, store.Query{Source: chat.ID})
		if err != nil || len(ps) != 3 {
			t.Errorf("posts of the chat source: %d (err %v), want 3", len(ps), err)
		}
		if err := s.SaveSource(ctx, post.Source{Location: "x"}); !errors.Is(err, store.ErrBadSource) {
			t.Errorf("source without id: err %v, want ErrBadSource", err)
		}
	})

	t.Run("keys do not collide", func(t *testing.T) {
		s := open(t)
		feed := func(channel, id, text string) post.Post {
			p := sample("1", text)
			p.Platform, p.Channel, p.Author, p.ID = post.Web, post.Channel{Platform: post.Web, ID: channel}, post.Account{}, id
			return p
		}
		// Joined with a bare ':', both keys were "web:https://news.example:a:1".
		ps := []post.Post{
			feed("https://news.example:a", "1", "الخبر الأول"),
			feed("https://news.example", "a:1", "الخبر الثاني"),
		}
		c, err := s.SavePosts(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		if c.Inserted != 2 {
			t.Errorf("counts %+v, want both posts inserted", c)
		}
		for _, p := range ps {
			got, _, err := s.Post(ctx, p.Key())
			if err != nil || got.Text != p.Text || got.Channel.ID != p.Channel.ID {
				t.Errorf("post %q = %q in %q (err %v), want %q", p.Key(), got.Text, got.Channel.ID, err, p.Text)
			}
		}
	})

	t.Run("batch is atomic", func(t *testing.T) {
		s := open(t)
		good := sample("1", "نص")
		bad := sample("", "بلا معرف")
		if _, err := s.SavePosts(ctx, []post.Post{good, bad}); !errors.Is(err, store.ErrBadPost) {
			t.Fatalf("saving a post without id: err %v, want ErrBadPost", err)
		}
		if _, _, err := s.Post(ctx, good.Key()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("post of a failed batch: err = %v, want ErrNotFound", err)
		}
	})
}
