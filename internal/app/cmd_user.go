package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrNoUsers is returned when the store keeps no users.
var ErrNoUsers = errors.New("this store keeps no users")

// usersCmd is a user or token command, parsed, with its store open.
type usersCmd struct {
	sub, name string
	st        store.Store
	users     store.Users
	aud       cliAuditor
	now       time.Time
}

// openUsersCmd parses the subcommand of what (one of subs) and opens the
// store; the caller closes cmd.st.
func openUsersCmd(ctx context.Context, c *Config, what string, subs map[string]bool) (*usersCmd, error) {
	sub, name, err := subcommand(c, what, subs)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	users, ok := st.(store.Users)
	if !ok {
		st.Close()
		return nil, ErrNoUsers
	}
	return &usersCmd{sub: sub, name: name, st: st, users: users, aud: newCLIAuditor(st), now: time.Now().UTC()}, nil
}

// subcommand checks that c.Args is one of subs with the arguments it
// takes: NAME after the ones that name one.
func subcommand(c *Config, what string, subs map[string]bool) (sub, name string, err error) {
	if len(c.Args) == 0 {
		return "", "", fmt.Errorf("%w: %s needs a subcommand", ErrUsage, what)
	}
	sub = c.Args[0]
	needsName, ok := subs[sub]
	switch {
	case !ok:
		return "", "", fmt.Errorf("%w: unknown %s subcommand %q", ErrUsage, what, sub)
	case needsName && len(c.Args) != 2:
		return "", "", fmt.Errorf("%w: %s %s needs one NAME", ErrUsage, what, sub)
	case !needsName && len(c.Args) != 1:
		return "", "", fmt.Errorf("%w: %s %s takes no arguments", ErrUsage, what, sub)
	}
	if needsName {
		name = c.Args[1]
	}
	return sub, name, nil
}

// runUser manages the people who sign in.
func runUser(ctx context.Context, c *Config) error {
	cmd, err := openUsersCmd(ctx, c, "user", map[string]bool{"add": true, "list": false, "disable": true, "enable": true, "reset": true})
	if err != nil {
		return err
	}
	defer cmd.st.Close()
	sub, name, users, aud, now := cmd.sub, cmd.name, cmd.users, cmd.aud, cmd.now
	switch sub {
	case "list":
		return userList(ctx, c, users)
	case "add":
		if err := auth.ValidName(name); err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
		role, _ := auth.ParseRole(c.Role) // validated with the flags
		hash, pw, err := newPasswordHash(c)
		if err != nil {
			return err
		}
		u := auth.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: now, Changed: now}
		if err := users.AddUser(ctx, u); err != nil {
			return err
		}
		if err := aud.record(ctx, "user.add", name, nil, u); err != nil {
			return err
		}
		return printPassword(c, "added user "+name+" ("+string(role)+")", pw)
	}
	if sub == "disable" || sub == "enable" {
		before, after, ended, err := store.SetUserDisabled(ctx, users, name, sub == "disable", now)
		if err != nil {
			return err
		}
		if err := aud.record(ctx, "user."+sub, name, before, after); err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.Stdout, "%sd user %s; %d sessions ended\n", sub, name, ended)
		return err
	}
	before, err := users.User(ctx, name)
	if err != nil {
		return err
	}
	after := before
	after.Changed = now
	var pw string
	if after.PasswordHash, pw, err = newPasswordHash(c); err != nil {
		return err
	}
	if err := users.UpdateUser(ctx, after); err != nil {
		return err
	}
	// A changed password must not leave a sitting of the old one open.
	ended, err := users.EndSessions(ctx, name)
	if err != nil {
		return err
	}
	if err := aud.record(ctx, "user.reset", name, before, after); err != nil {
		return err
	}
	return printPassword(c, fmt.Sprintf("new password for %s; %d sessions ended", name, ended), pw)
}

// newPasswordHash reads a password from stdin when it is piped (`echo pw
// | raqib user add ...`), else generates one; generated is what to print,
// empty for a piped one.
func newPasswordHash(c *Config) (hash, generated string, err error) {
	pw, piped, err := pipedPassword(c.Stdin)
	if err != nil {
		return "", "", err
	}
	if !piped {
		pw = auth.NewPassword()
		generated = pw
	}
	hash, err = auth.HashPassword(pw, auth.DefaultArgon2)
	return hash, generated, err
}

// pipedPassword reads the first line of stdin unless stdin is a terminal
// (or absent or /dev/null, a character device too).
func pipedPassword(stdin io.Reader) (string, bool, error) {
	if stdin == nil {
		return "", false, nil
	}
	if f, ok := stdin.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice != 0 {
			return "", false, nil
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, fmt.Errorf("%w: the password on stdin is empty (pipe none to have one generated)", auth.ErrBadPassword)
	}
	return line, true, nil
}

// printPassword reports what was done and, when one was generated, the
// password: once, never logged.
func printPassword(c *Config, msg, generated string) error {
	if generated == "" {
		_, err := fmt.Fprintln(c.Stdout, msg)
		return err
	}
	_, err := fmt.Fprintf(c.Stdout, "%s\npassword: %s\n(shown once: raqib keeps only its argon2id hash)\n", msg, generated)
	return err
}

func userList(ctx context.Context, c *Config, users store.Users) error {
	us, err := users.ListUsers(ctx)
	if err != nil {
		return err
	}
	return printList(c, us, "NAME\tROLE\tSTATE\tCREATED\tCHANGED", func(u auth.User) string {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		return strings.Join([]string{u.Name, string(u.Role), state, u.CreatedAt.Format(time.RFC3339), u.Changed.Format(time.RFC3339)}, "\t")
	})
}

// printList prints rows as a table under header, a row's cells from row,
// or one JSON object a line with --json.
func printList[T any](c *Config, rows []T, header string, row func(T) string) error {
	if c.JSON {
		enc := json.NewEncoder(c.Stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, row(r))
	}
	return tw.Flush()
}
