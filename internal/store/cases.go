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

// CaseBook is what ProposeSet needs of a store that applies a batch of
// case proposals with no other writer in between. Each method takes the
// whole batch, so that a store answers it in a few set-based statements
// rather than several per proposal.
type CaseBook interface {
	// InCases returns which of keys are posts in a case, open or
	// decided: a post an analyst dismissed is not proposed again when it
	// is imported again.
	InCases(keys []string) (map[string]bool, error)
	// OpenCasesOfGroups returns the ids of the open cases of groups, for
	// the groups that have one.
	OpenCasesOfGroups(groups []string) (map[string]int64, error)
	// OpenCases opens a case for each proposal, with no post in it yet,
	// and returns the case ids by the proposals' post keys.
	OpenCases(ps []post.CaseProposal) (map[string]int64, error)
	// JoinCases adds the post of ps[i] to the case ids[i] and counts it.
	JoinCases(ids []int64, ps []post.CaseProposal) error
}

// ProposeSet implements CaseProposer.ProposeCases on b, for stores that
// hold one writer at a time: a post already in an open case stays there;
// the others join the open case of their group, or a case opened by the
// first proposal of its group (or by the proposal alone when it has no
// group).
func ProposeSet(b CaseBook, ps []post.CaseProposal, now time.Time) (opened int, err error) {
	ps, err = PrepareProposals(ps, now)
	if err != nil || len(ps) == 0 {
		return 0, err
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.PostKey
	}
	in, err := b.InCases(keys)
	if err != nil {
		return 0, fmt.Errorf("cases of posts: %w", err)
	}
	fresh := ps[:0]
	var groups []string
	for _, p := range ps {
		if in[p.PostKey] {
			continue
		}
		fresh = append(fresh, p)
		if p.Group != "" {
			groups = append(groups, p.Group)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	byGroup := map[string]int64{}
	if len(groups) > 0 {
		if byGroup, err = b.OpenCasesOfGroups(groups); err != nil {
			return 0, fmt.Errorf("cases of groups: %w", err)
		}
	}
	var leads []post.CaseProposal
	led := map[string]bool{}
	for _, p := range fresh {
		if p.Group == "" || (byGroup[p.Group] == 0 && !led[p.Group]) {
			leads = append(leads, p)
			led[p.Group] = true
		}
	}
	var byKey map[string]int64
	if len(leads) > 0 {
		if byKey, err = b.OpenCases(leads); err != nil {
			return 0, fmt.Errorf("open cases: %w", err)
		}
		for _, p := range leads {
			if p.Group != "" {
				byGroup[p.Group] = byKey[p.PostKey]
			}
		}
	}
	ids := make([]int64, len(fresh))
	for i, p := range fresh {
		// A post without a group joins the case it opened.
		if ids[i] = byGroup[p.Group]; p.Group == "" {
			ids[i] = byKey[p.PostKey]
		}
		if ids[i] == 0 {
			return 0, fmt.Errorf("case of %s: %w: not opened", p.PostKey, ErrNotFound)
		}
	}
	if err := b.JoinCases(ids, fresh); err != nil {
		return 0, fmt.Errorf("add posts to cases: %w", err)
	}
	return len(leads), nil
}
