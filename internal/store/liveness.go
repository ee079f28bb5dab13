package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
)

// Liveness keeps the URLs liveness re-checks, their state and check
// history, and leases due checks to the checkers of every process (see
// package liveness, which defines the interface so that it needs no
// store). Found by type assertion.
type Liveness = liveness.Store

// Both stores keep liveness times as Unix milliseconds, 0 for none: the
// due index and the lease arithmetic compare plain integers.
const (
	// LivenessItem are the columns of a liveness.Item, in insert order.
	LivenessItem = `url, platform, post_key, case_id, referral_id, channel, label, tier, referred_at, account`
	// LivenessColumns are what ScanTracked reads, history last.
	LivenessColumns = `id, ` + LivenessItem + `, state, checks, streak, gone_since, removed_at, confirmed_at, returned_at, last_check, next_check, lease, history`
	// LivenessRecord is the SET list of RecordChecks with numbered
	// placeholders ($n; SQLite reads them as ?n) for TrackedRecordArgs,
	// then the id and the lease it was claimed with.
	LivenessRecord = `state = $1, checks = $2, streak = $3, gone_since = $4, removed_at = $5, confirmed_at = $6,
		returned_at = $7, last_check = $8, next_check = $9, history = $10 WHERE id = $11 AND lease = $12`
)

// ItemArgs are the LivenessItem values of it.
func ItemArgs(it liveness.Item) []any {
	return []any{it.URL, string(it.Platform), it.PostKey, it.CaseID, it.ReferralID, string(it.Channel), string(it.Label), int(it.Tier), millis(it.ReferredAt), it.Account}
}

// TrackedRecordArgs are the values of LivenessRecord for t.
func TrackedRecordArgs(t *liveness.Tracked) []any {
	return []any{string(t.State), t.Checks, t.Streak, millis(t.GoneSince), millis(t.RemovedAt), millis(t.ConfirmedAt),
		millis(t.ReturnedAt), millis(t.LastCheck), millis(t.NextCheck), liveness.EncodeHistory(t.History), t.ID, t.Lease}
}

// LivenessWhere is the WHERE clause (empty or starting with " WHERE") and
// arguments selecting f, with placeholders made by ph from their
// 1-based position.
func LivenessWhere(f liveness.Filter, ph func(n int) string) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+ph(len(args)))
	}
	if !f.From.IsZero() {
		add(`referred_at >= `, millis(f.From))
	}
	if !f.To.IsZero() {
		add(`referred_at < `, millis(f.To))
	}
	if f.Platform != "" {
		add(`platform = `, string(f.Platform))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ScanTracked reads one row of LivenessColumns with scan, a rows' Scan.
func ScanTracked(scan func(dest ...any) error) (liveness.Tracked, error) {
	var (
		t                                       liveness.Tracked
		platform, channel, label, state         string
		tier                                    int
		referred, gone, removed, confirmed, ret int64
		last, next                              int64
		hist                                    []byte
	)
	if err := scan(&t.ID, &t.URL, &platform, &t.PostKey, &t.CaseID, &t.ReferralID, &channel, &label, &tier, &referred, &t.Account,
		&state, &t.Checks, &t.Streak, &gone, &removed, &confirmed, &ret, &last, &next, &t.Lease, &hist); err != nil {
		return t, fmt.Errorf("read tracked item: %w", err)
	}
	t.Platform, t.Channel, t.Label, t.Tier = post.Platform(platform), liveness.Channel(channel), post.Label(label), post.Tier(tier)
	t.State = liveness.State(state)
	t.ReferredAt, t.GoneSince, t.RemovedAt, t.ConfirmedAt = fromMillis(referred), fromMillis(gone), fromMillis(removed), fromMillis(confirmed)
	t.ReturnedAt, t.LastCheck, t.NextCheck = fromMillis(ret), fromMillis(last), fromMillis(next)
	var err error
	if t.History, err = liveness.DecodeHistory(hist); err != nil {
		return t, fmt.Errorf("tracked item %d: %w", t.ID, err)
	}
	return t, nil
}

// ScanTrackedRows reads every row of rows of LivenessColumns.
func ScanTrackedRows(rows Rows) ([]liveness.Tracked, error) {
	var ts []liveness.Tracked
	for rows.Next() {
		t, err := ScanTracked(rows.Scan)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// YieldTracked yields the items of rows of LivenessColumns until yield
// returns false, then an error of rows, if any. The caller closes rows.
func YieldTracked(rows Rows, yield func(liveness.Tracked, error) bool) {
	for rows.Next() {
		t, err := ScanTracked(rows.Scan)
		if !yield(t, err) || err != nil {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(liveness.Tracked{}, fmt.Errorf("list tracked items: %w", err))
	}
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
