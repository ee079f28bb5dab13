package store

import (
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
)

// The scanners below read the account registry's rows as both stores'
// dialects return them; each store names its columns in these orders.

// AccountColumns are the columns ScanAccount reads, in its order.
const AccountColumns = `platform, id, handle, display_name, created_at, description, followers, verified, withheld,
	first_seen, last_seen, status, status_at, avatar`

// ScanAccount reads one account from a row of AccountColumns.
func ScanAccount(row interface{ Scan(dest ...any) error }) (AccountRecord, error) {
	var (
		a                  AccountRecord
		platform, withheld string
		status             string
	)
	if err := row.Scan(&platform, &a.ID, &a.Handle, &a.DisplayName, &timeScanner{&a.CreatedAt}, &a.Description,
		&a.Followers, &a.Verified, &withheld, &timeScanner{&a.FirstSeen}, &timeScanner{&a.LastSeen},
		&status, &timeScanner{&a.StatusAt}, &a.Avatar); err != nil {
		return AccountRecord{}, err
	}
	a.Platform, a.Status = post.Platform(platform), AccountStatus(status)
	if withheld != "" {
		a.Withheld = strings.Split(withheld, ",")
	}
	return a, nil
}

// ScanAccounts reads accounts from rows of AccountColumns.
func ScanAccounts(rows Rows) ([]AccountRecord, error) {
	var out []AccountRecord
	for rows.Next() {
		a, err := ScanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ProfileColumns are the columns ScanProfiles reads.
const ProfileColumns = `handle, display_name, description, avatar, until`

// ScanProfiles reads earlier profiles from rows of ProfileColumns.
func ScanProfiles(rows Rows) ([]ProfileVersion, error) {
	var out []ProfileVersion
	for rows.Next() {
		var v ProfileVersion
		if err := rows.Scan(&v.Handle, &v.DisplayName, &v.Description, &v.Avatar, &timeScanner{&v.Until}); err != nil {
			return nil, fmt.Errorf("profile history: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// StatusColumns are the columns ScanStatuses reads.
const StatusColumns = `platform, id, status, source, evidence, actor, at`

// ScanStatuses reads status changes from rows of StatusColumns.
func ScanStatuses(rows Rows) ([]StatusChange, error) {
	var out []StatusChange
	for rows.Next() {
		var (
			c                StatusChange
			platform, status string
		)
		if err := rows.Scan(&platform, &c.Account.ID, &status, &c.Source, &c.Evidence, &c.Actor, &timeScanner{&c.At}); err != nil {
			return nil, fmt.Errorf("status history: %w", err)
		}
		c.Account.Platform, c.Status = post.Platform(platform), AccountStatus(status)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LinkColumns are the columns ScanLink reads.
const LinkColumns = `platform, id, link, first_at`

// ScanLink reads one posted link from a row of LinkColumns.
func ScanLink(row interface{ Scan(dest ...any) error }) (AccountLink, error) {
	var (
		l        AccountLink
		platform string
	)
	if err := row.Scan(&platform, &l.Account.ID, &l.Link, &timeScanner{&l.At}); err != nil {
		return AccountLink{}, fmt.Errorf("read links: %w", err)
	}
	l.Account.Platform = post.Platform(platform)
	return l, nil
}

// SuccessorColumns are the columns ScanSuccessors reads.
const SuccessorColumns = `id, from_platform, from_id, to_platform, to_id, score, evidence, status, created_at, decided_by, decided_at`

// ScanSuccessors reads successor links from rows of SuccessorColumns.
func ScanSuccessors(rows Rows) ([]SuccessorLink, error) {
	var out []SuccessorLink
	for rows.Next() {
		var (
			l              SuccessorLink
			fp, tp, status string
		)
		if err := rows.Scan(&l.ID, &fp, &l.From.ID, &tp, &l.To.ID, &l.Score, &l.Evidence, &status,
			&timeScanner{&l.CreatedAt}, &l.DecidedBy, &timeScanner{&l.DecidedAt}); err != nil {
			return nil, fmt.Errorf("successor links: %w", err)
		}
		l.From.Platform, l.To.Platform, l.Status = post.Platform(fp), post.Platform(tp), LinkStatus(status)
		out = append(out, l)
	}
	return out, rows.Err()
}
