package store

import (
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// KeySQL is the SQL expression, in both stores' dialect, of post.KeyOf on
// the columns named: what the migration to escaped keys computes. It is
// part of a released migration, so it must not change.
func KeySQL(platform, channel, id string) string {
	esc := func(col string) string { return "replace(replace(" + col + ", '%', '%25'), ':', '%3A')" }
	return esc(platform) + " || ':' || " + esc(channel) + " || ':' || " + esc(id)
}

// PrepareProposals checks proposals before a store applies them: each needs
// a post key. It returns them without repeats of a post (the first
// proposal of a post wins, as a second would find the post in its case)
// and with At set to now where it was zero.
func PrepareProposals(ps []post.CaseProposal, now time.Time) ([]post.CaseProposal, error) {
	out := make([]post.CaseProposal, 0, len(ps))
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		if p.PostKey == "" {
			return nil, fmt.Errorf("case proposal %d (%s): %w: no post key", i, p.Reason, ErrBadPost)
		}
		if seen[p.PostKey] {
			continue
		}
		seen[p.PostKey] = true
		if p.At.IsZero() {
			p.At = now
		}
		out = append(out, p)
	}
	return out, nil
}

// CaseBook is what ProposeEach needs of a store that applies case
// proposals one at a time, with no other writer in between.
type CaseBook interface {
	// InCase reports whether the post is in a case, open or decided: a
	// post an analyst dismissed is not proposed again when it is
	// imported again.
	InCase(key string) (bool, error)
	// OpenCaseOfGroup returns the id of the open case of group, ok false
	// when there is none.
	OpenCaseOfGroup(group string) (id int64, ok bool, err error)
	// OpenCase opens a case with p's post as its first post.
	OpenCase(p post.CaseProposal) error
	// JoinCase adds p's post to the case id.
	JoinCase(id int64, p post.CaseProposal) error
}

// ProposeEach implements CaseProposer.ProposeCases on b, for stores that
// hold one writer at a time.
func ProposeEach(b CaseBook, ps []post.CaseProposal, now time.Time) (opened int, err error) {
	ps, err = PrepareProposals(ps, now)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		in, err := b.InCase(p.PostKey)
		if err != nil {
			return opened, fmt.Errorf("case of %s: %w", p.PostKey, err)
		}
		if in {
			continue
		}
		if p.Group != "" {
			id, ok, err := b.OpenCaseOfGroup(p.Group)
			if err != nil {
				return opened, fmt.Errorf("case of group %s: %w", p.Group, err)
			}
			if ok {
				if err := b.JoinCase(id, p); err != nil {
					return opened, fmt.Errorf("add %s to case %d: %w", p.PostKey, id, err)
				}
				continue
			}
		}
		if err := b.OpenCase(p); err != nil {
			return opened, fmt.Errorf("open case of %s: %w", p.PostKey, err)
		}
		opened++
	}
	return opened, nil
}
