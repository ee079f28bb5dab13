package app

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

var printedPassword = regexp.MustCompile(`password: (\S+)`)

func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	const pw = "piped password of amina"
	out, err := runCmd(t, data, strings.NewReader(pw+"\r\n"), "user", "add", "amina", "--role", "senior")
	if err != nil || strings.Contains(out, "password:") {
		t.Fatalf("add with a piped password: %v\n%s", err, out)
	}
	out, err = runCmd(t, data, nil, "user", "add", "omar", "--role", "auditor")
	m := printedPassword.FindStringSubmatch(out)
	if err != nil || m == nil || len(m[1]) < auth.MinPassword {
		t.Fatalf("add with a generated password: %v\n%s", err, out)
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if out, err := runCmd(t, data, devNull, "user", "add", "layla"); err != nil || !printedPassword.MatchString(out) {
		t.Fatalf("stdin /dev/null must generate a password: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		want  error
	}{
		{"", []string{"user", "add", "amina"}, store.ErrNameTaken},
		{"x\n", []string{"user", "add", "sami"}, auth.ErrBadPassword},
		{"\n", []string{"user", "add", "sami"}, auth.ErrBadPassword},
		{"", []string{"user", "add", "a b"}, ErrUsage},
		{"", []string{"user", "add", "sami", "--role", "root"}, ErrUsage},
		{"", []string{"user", "disable", "nobody"}, store.ErrNotFound},
		{"", []string{"user", "list", "extra"}, ErrUsage},
		{"", []string{"user", "rename", "amina"}, ErrUsage},
	} {
		var stdin *strings.Reader
		if tt.stdin != "" {
			stdin = strings.NewReader(tt.stdin)
		}
		var err error
		if stdin != nil {
			_, err = runCmd(t, data, stdin, tt.args...)
		} else {
			_, err = runCmd(t, data, nil, tt.args...)
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%v: %v, want %v", tt.args, err, tt.want)
		}
	}

	st, err := openStore(context.Background(), &Config{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	users := st.(store.Users)
	check := func(name, pw string, disabled bool) {
		t.Helper()
		u, err := users.User(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := auth.CheckPassword(u.PasswordHash, pw)
		if !ok || err != nil || u.Disabled != disabled {
			t.Errorf("%s: password ok %v (%v), disabled %v; want ok, disabled %v", name, ok, err, u.Disabled, disabled)
		}
	}
	check("amina", pw, false)
	check("omar", m[1], false)
	ctx := context.Background()
	if err := users.AddSession(ctx, auth.Session{ID: auth.HashSecret("s"), User: "amina"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if out, err := runCmd(t, data, nil, "user", "disable", "amina"); err != nil || !strings.Contains(out, "1 sessions ended") {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	out, err = runCmd(t, data, nil, "user", "list")
	if err != nil || !regexp.MustCompile(`amina\s+senior\s+disabled`).MatchString(out) || !regexp.MustCompile(`omar\s+auditor\s+active`).MatchString(out) || strings.Contains(out, "argon2") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if _, err := runCmd(t, data, nil, "user", "enable", "amina"); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, data, nil, "user", "reset", "omar")
	m2 := printedPassword.FindStringSubmatch(out)
	if err != nil || m2 == nil || m2[1] == m[1] {
		t.Fatalf("reset: %v\n%s", err, out)
	}
	out, err = runCmd(t, data, nil, "user", "list", "--json")
	if err != nil || strings.Contains(out, "argon2") || !strings.Contains(out, `"name":"amina","role":"senior","disabled":false`) {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	st, _ = openStore(ctx, &Config{Data: data})
	users = st.(store.Users)
	check("amina", pw, false)
	check("omar", m2[1], false)
	st.Close()

	out, err = runCmd(t, data, nil, "audit", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"user.add  amina", "user.add  omar", "user.disable  amina", "user.enable  amina", "user.reset  omar"} {
		if !regexp.MustCompile(regexp.QuoteMeta(strings.Fields(want)[0]) + `\s+` + strings.Fields(want)[1]).MatchString(out) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "argon2") || strings.Contains(out, m2[1]) || strings.Contains(out, pw) {
		t.Errorf("audit trail holds a password or its hash:\n%s", out)
	}
}

func TestTokenCommands(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, data, nil, "token", "create", "collector", "--role", "admin")
	m := printedToken.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	if _, err := runCmd(t, data, nil, "token", "create", "collector"); !errors.Is(err, store.ErrNameTaken) {
		t.Errorf("create twice: %v", err)
	}
	st, err := openStore(context.Background(), &Config{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.(store.Users).Token(context.Background(), auth.HashSecret(m[1]))
	st.Close()
	if err != nil || tok.Name != "collector" || tok.Role != auth.Admin || tok.Hash == m[1] {
		t.Fatalf("stored token %+v, %v", tok, err)
	}
	if out, err := runCmd(t, data, nil, "token", "revoke", "collector"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %v %s", err, out)
	}
	if _, err := runCmd(t, data, nil, "token", "revoke", "collector"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}
	out, err = runCmd(t, data, nil, "token", "list")
	if err != nil || !regexp.MustCompile(`collector\s+admin\s+\S+\s+\S+\s+20\d\d-`).MatchString(out) || strings.Contains(out, m[1]) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, _ = runCmd(t, data, nil, "audit", "list")
	if !strings.Contains(out, "token.create") || !strings.Contains(out, "token.revoke") || strings.Contains(out, m[1]) {
		t.Errorf("audit trail:\n%s", out)
	}
}
