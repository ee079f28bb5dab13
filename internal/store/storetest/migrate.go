package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// LegacyPost is a post as stores held it before keys were escaped: under
// OldKey, its parts joined with a bare ':'. A store's migration test
// writes it as that schema did, with Earlier as its one earlier version
// and an open case when Case is set, then opens the store on it and calls
// CheckRekeyed.
type LegacyPost struct {
	Post    post.Post
	OldKey  string
	Earlier post.Post
	Case    bool
}

// LegacyPosts returns the posts a migration test writes, in order.
func LegacyPosts() []LegacyPost {
	mk := func(platform post.Platform, channel, id, text string, open bool) LegacyPost {
		p := sample(id, text)
		p.Platform, p.Channel.Platform, p.Channel.ID, p.Author.Platform = platform, platform, channel, platform
		earlier := p
		earlier.Text = text + " (قبل التعديل)"
		earlier.Norm = arabic.Normalize(earlier.Text)
		return LegacyPost{Post: p, OldKey: string(platform) + ":" + channel + ":" + id, Earlier: earlier, Case: open}
	}
	return []LegacyPost{
		mk(post.Telegram, "-100123", "5", "منشور عادي", true),
		mk(post.Web, "https://news.example", "a:1", "خبر من الموقع", true),
		// The new key of the next post is this one's old key, so a
		// migration that rewrites keys row by row in place collides.
		mk(post.X, "a%3Ab", "1", "نص مع علامة النسبة", false),
		mk(post.X, "a:b", "1", "نص مع نقطتين", true),
	}
}

// CheckRekeyed checks a store opened on a database holding LegacyPosts:
// every post, version and case is found under the new key, and the feed
// post whose key collided with the second legacy post is stored beside it.
func CheckRekeyed(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	var caseKeys []string
	for _, lp := range LegacyPosts() {
		key := lp.Post.Key()
		got, versions, err := s.Post(ctx, key)
		if err != nil || got.Text != lp.Post.Text {
			t.Errorf("post %q: %q (err %v), want %q", key, got.Text, err, lp.Post.Text)
		}
		if len(versions) != 1 || versions[0].Text != lp.Earlier.Text {
			t.Errorf("versions of %q = %+v, want the earlier text", key, versions)
		}
		if old, _, err := s.Post(ctx, lp.OldKey); lp.OldKey != key && !errors.Is(err, store.ErrNotFound) && old.Key() != lp.OldKey {
			t.Errorf("old key %q still finds post %q (err %v)", lp.OldKey, old.Key(), err)
		}
		if lp.Case {
			caseKeys = append(caseKeys, key)
		}
	}
	cs, err := s.Cases(ctx, post.CaseOpen, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.PostKey)
		if keys, err := s.CasePosts(ctx, c.ID, 0); err != nil || len(keys) != 1 || keys[0] != c.PostKey || c.Posts != 1 {
			t.Errorf("case %d of %q: %d posts, CasePosts %v (err %v), want the post alone", c.ID, c.PostKey, c.Posts, keys, err)
		}
	}
	slices.Sort(got)
	slices.Sort(caseKeys)
	if !slices.Equal(got, caseKeys) {
		t.Errorf("open cases of %v, want %v", got, caseKeys)
	}
	// A migrated case still keeps its post from being proposed again.
	if n, err := s.ProposeCases(ctx, []post.CaseProposal{{PostKey: caseKeys[0], Label: post.Propaganda}}); err != nil || n != 0 {
		t.Errorf("proposing a post of a migrated case opened %d (err %v), want 0", n, err)
	}
	feed := LegacyPosts()[1].Post
	feed.Channel.ID, feed.ID, feed.Text = "https://news.example:a", "1", "خبر آخر"
	feed.Norm, feed.CollectedAt = arabic.Normalize(feed.Text), time.Now()
	if c, err := s.SavePosts(ctx, []post.Post{feed}); err != nil || c.Inserted != 1 {
		t.Errorf("saving the once colliding feed post: %+v (err %v), want 1 inserted", c, err)
	}
}
