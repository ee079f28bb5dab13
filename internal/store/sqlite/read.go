package sqlite

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ftsQuery turns what a user typed and the author filter into an FTS5
// query: every word must occur in the text, each quoted so that FTS5
// operators in the input are taken literally. It is empty when there is
// nothing to match, ok false when the text has no word to search for.
func ftsQuery(text, author string) (q string, ok bool) {
	var parts []string
	if text != "" {
		// Split where FTS5's unicode61 tokenizer splits, so every word we
		// quote is exactly one indexed token.
		words := strings.FieldsFunc(arabic.Normalize(text), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsNumber(r)
		})
		if len(words) == 0 {
			return "", false
		}
		for i, w := range words {
			words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		}
		parts = append(parts, "norm : ("+strings.Join(words, " ")+")")
	}
	if author != "" {
		parts = append(parts, `who : "a`+hex.EncodeToString([]byte(author))+`"`)
	}
	return strings.Join(parts, " AND "), true
}

// Posts implements store.Store.
func (s *Store) Posts(ctx context.Context, q store.Query) ([]post.Post, error) {
	var (
		where []string
		args  []any
	)
	from := "posts p"
	fq, ok := ftsQuery(q.Text, q.Author)
	if !ok {
		return nil, nil
	}
	if fq != "" {
		from = "posts_fts f JOIN posts p ON p.rowid = f.rowid"
		where = append(where, "posts_fts MATCH ?")
		args = append(args, fq)
	}
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Platform != "" {
		add("p.platform = ?", string(q.Platform))
	}
	if q.Label != "" {
		add("p.label = ?", string(q.Label))
	}
	if q.Tier != 0 {
		add("p.tier = ?", int(q.Tier))
	}
	if q.Entity != "" {
		add("p.entity = ?", q.Entity)
	}
	if q.Violating {
		where = append(where, "p.violating = 1")
	}
	if q.Author != "" {
		// The token is the author's; this also makes the match exact.
		add("p.author_id = ?", q.Author)
	}
	if q.Channel != "" {
		add("p.channel_id = ?", q.Channel)
	}
	if q.Source != "" {
		add("p.source = ?", q.Source)
	}
	limit, offset := q.Page()
	query := "SELECT p.doc FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY p.posted_at DESC, p.rowid DESC LIMIT ? OFFSET ?"
	args = append(args, limit, offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	defer rows.Close()
	return store.ScanDocs(rows)
}

// SaveSource implements store.Store.
func (s *Store) SaveSource(ctx context.Context, src post.Source) error {
	if src.ID == "" {
		return fmt.Errorf("save source %q: %w: no id", src.Location, store.ErrBadSource)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.stmt(ctx, saveSourceSQL)
	if err == nil {
		_, err = st.ExecContext(ctx, src.ID, src.Format, string(src.Platform), src.Location,
			unixMilli(src.FirstCollected), unixMilli(src.LastCollected), src.Read, src.Rejected)
	}
	if err != nil {
		return fmt.Errorf("save source %s: %w", src.Location, err)
	}
	s.ckpt.committed()
	return nil
}
