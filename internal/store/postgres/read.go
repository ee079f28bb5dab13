package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// tsQuery turns what a user typed into a tsquery in which every word must
// occur. Lexemes are quoted, and words has left no quote, backslash or
// operator in them, so input is always taken literally.
func tsQuery(typed string) string {
	ws := words(arabic.Normalize(typed))
	for i, w := range ws {
		ws[i] = "'" + w + "'"
	}
	return strings.Join(ws, " & ")
}

// Posts implements store.Store.
func (s *Store) Posts(ctx context.Context, q store.Query) ([]post.Post, error) {
	var (
		where []string
		args  []any
	)
	// SavePosts refuses identifiers that are not storable, so no post has one.
	for _, id := range []string{string(q.Platform), q.Author, q.Channel, q.Source} {
		if !storable(id) {
			return nil, nil
		}
	}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if q.Text != "" {
		tq := tsQuery(q.Text)
		if tq == "" {
			return nil, nil
		}
		add("fts @@ $?::tsquery", tq)
	}
	if q.Platform != "" {
		add("platform = $?", string(q.Platform))
	}
	if q.Label != "" {
		add("label = $?", text(string(q.Label)))
	}
	if q.Tier != 0 {
		add("tier = $?", int32(q.Tier))
	}
	if q.Entity != "" {
		add("entity = $?", text(q.Entity))
	}
	if q.Violating {
		where = append(where, "violating")
	}
	if q.Author != "" {
		add("author_id = $?", q.Author)
	}
	if q.Channel != "" {
		add("channel_id = $?", q.Channel)
	}
	if q.Source != "" {
		add("source = $?", q.Source)
	}
	limit, offset := q.Page()
	query := "SELECT doc FROM posts"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit, offset)
	query += fmt.Sprintf(" ORDER BY posted_at DESC NULLS LAST, id DESC LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	defer rows.Close()
	return store.ScanDocs(rows)
}

// SaveSource implements store.Store.
func (s *Store) SaveSource(ctx context.Context, src post.Source) error {
	if src.ID == "" || !storable(src.ID) {
		return fmt.Errorf("save source %q: %w: no id", src.Location, store.ErrBadSource)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sources (id, format, platform, location, first_collected, last_collected,
			imports, records_read, records_rejected)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)
		ON CONFLICT (id) DO UPDATE SET
			format = excluded.format,
			platform = CASE WHEN excluded.platform <> '' THEN excluded.platform ELSE sources.platform END,
			location = excluded.location,
			first_collected = least(sources.first_collected, excluded.first_collected),
			last_collected = greatest(sources.last_collected, excluded.last_collected),
			imports = sources.imports + 1,
			records_read = sources.records_read + excluded.records_read,
			records_rejected = sources.records_rejected + excluded.records_rejected`,
		src.ID, text(src.Format), text(string(src.Platform)), text(src.Location),
		timestamp(src.FirstCollected), timestamp(src.LastCollected), src.Read, src.Rejected)
	if err != nil {
		return fmt.Errorf("save source %s: %w", src.Location, err)
	}
	return nil
}
