package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ProposeCases runs three statements in one transaction on the batch's
// proposals, passed as arrays. The first takes a transaction lock that
// serializes proposers (of this schema): deciding whether a post is in an
// open case and then adding it is not one statement, and the statements
// are set-based, so holding it is short. The unique partial indexes on the
// open case of a post and of a group back it up.
const (
	lockCasesSQL = `SELECT pg_advisory_xact_lock(hashtextextended('raqib cases ' || current_schema(), 0))`
	// proposalsSQL is the proposals whose post is in no case yet, open or
	// decided: a post an analyst dismissed is not proposed again.
	proposalsSQL = `WITH input AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::timestamptz[])
			WITH ORDINALITY AS i (post_key, label, tier, entity, score, reason, grp, at, ord)),
	fresh AS (
		SELECT * FROM input i WHERE NOT EXISTS (SELECT 1 FROM case_posts cp WHERE cp.post_key = i.post_key))`
	// openCasesSQL opens a case for each post without a group and for the
	// first post of each group that has no open case; posts counts them
	// when joinCasesSQL adds them.
	openCasesSQL = proposalsSQL + `,
	leads AS (
		SELECT DISTINCT ON (grp, CASE WHEN grp = '' THEN post_key END) * FROM fresh f
		WHERE grp = '' OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.grp = f.grp AND c.grp <> '' AND c.status = 'open')
		ORDER BY grp, CASE WHEN grp = '' THEN post_key END, ord)
	INSERT INTO cases (post_key, label, tier, entity, score, status, reason, grp, posts, created_at, updated_at)
	SELECT post_key, label, tier, entity, score, 'open', reason, grp, 0, at, at FROM leads ORDER BY ord
	ON CONFLICT DO NOTHING`
	// joinCasesSQL adds every post to the open case of its group, or to the
	// case just opened for it.
	joinCasesSQL = proposalsSQL + `,
	joined AS (
		INSERT INTO case_posts (case_id, post_key, added_at)
		SELECT c.id, f.post_key, f.at FROM fresh f
			JOIN cases c ON c.grp = f.grp AND c.grp <> '' AND c.status = 'open' WHERE f.grp <> ''
		UNION ALL
		SELECT c.id, f.post_key, f.at FROM fresh f
			JOIN cases c ON c.post_key = f.post_key AND c.status = 'open' AND c.grp = '' WHERE f.grp = ''
		ON CONFLICT DO NOTHING
		RETURNING case_id, added_at)
	UPDATE cases c SET posts = c.posts + j.n, updated_at = greatest(c.updated_at, j.last)
	FROM (SELECT case_id, count(*) AS n, max(added_at) AS last FROM joined GROUP BY case_id) j
	WHERE c.id = j.case_id`
)

// ProposeCases implements store.CaseProposer.
func (s *Store) ProposeCases(ctx context.Context, ps []post.CaseProposal) (int, error) {
	ps, err := store.PrepareProposals(ps, time.Now().UTC())
	if err != nil || len(ps) == 0 {
		return 0, err
	}
	n := len(ps)
	var (
		keys, labels, entities, reasons, groups = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		tiers                                   = make([]int32, n)
		scores                                  = make([]float64, n)
		ats                                     = make([]time.Time, n)
	)
	for i, p := range ps {
		if !storable(p.PostKey) || !storable(p.Group) {
			return 0, fmt.Errorf("case proposal %d: %w: post key or group is not valid UTF-8 text", i, store.ErrBadPost)
		}
		keys[i], labels[i], entities[i], reasons[i], groups[i] = p.PostKey, text(string(p.Label)), text(p.Entity), text(p.Reason), p.Group
		tiers[i], scores[i], ats[i] = int32(p.Tier), p.Score, p.At
	}
	args := []any{keys, labels, tiers, entities, scores, reasons, groups, ats}
	var opened int
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(lockCasesSQL)
		b.Queue(openCasesSQL, args...)
		b.Queue(joinCasesSQL, args...)
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("open cases: %w", err)
		}
		opened = int(tag.RowsAffected())
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("add posts to cases: %w", err)
		}
		return br.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("propose cases: %w", err)
	}
	return opened, nil
}

// CasePosts implements store.Store.
func (s *Store) CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT post_key FROM case_posts WHERE case_id = $1
		ORDER BY added_at, post_key LIMIT $2`, caseID, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("posts of case %d: %w", caseID, err)
	}
	keys, err := store.ScanKeys(rows)
	rows.Close()
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	var found bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)`, caseID).Scan(&found); err != nil {
		return nil, fmt.Errorf("case %d: %w", caseID, err)
	}
	if !found {
		return nil, fmt.Errorf("case %d: %w", caseID, store.ErrNotFound)
	}
	return keys, nil
}
