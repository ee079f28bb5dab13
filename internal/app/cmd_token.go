package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
)

// runToken manages the API tokens of machines.
func runToken(ctx context.Context, c *Config) error {
	cmd, err := openUsersCmd(ctx, c, "token", map[string]bool{"create": true, "list": false, "revoke": true})
	if err != nil {
		return err
	}
	defer cmd.st.Close()
	sub, name, users, aud, now := cmd.sub, cmd.name, cmd.users, cmd.aud, cmd.now
	switch sub {
	case "create":
		if err := auth.ValidName(name); err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
		role, _ := auth.ParseRole(c.Role)
		secret, hash := auth.NewSecret(auth.TokenPrefix)
		t := auth.Token{Name: name, Role: role, Hash: hash, CreatedAt: now, CreatedBy: aud.actor}
		if err := users.AddToken(ctx, t); err != nil {
			return err
		}
		if err := aud.record(ctx, "token.create", name, nil, t); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.Stdout, "created token %s (%s)\ntoken: %s\n(shown once: raqib keeps only its hash; send it as the header Authorization: Bearer TOKEN)\n", name, role, secret)
		return err
	case "revoke":
		if err := users.RevokeToken(ctx, name, now); err != nil {
			return err
		}
		if err := aud.record(ctx, "token.revoke", name, nil, map[string]time.Time{"revoked_at": now}); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.Stdout, "revoked token %s\n", name)
		return err
	}
	ts, err := users.ListTokens(ctx)
	if err != nil {
		return err
	}
	return printList(c, ts, "NAME\tROLE\tCREATED\tBY\tREVOKED", func(t auth.Token) string {
		revoked := "-"
		if !t.RevokedAt.IsZero() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		return strings.Join([]string{t.Name, string(t.Role), t.CreatedAt.Format(time.RFC3339), t.CreatedBy, revoked}, "\t")
	})
}
