package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cheap keeps the tests fast; the parameters are read back from the hash.
var cheap = Argon2Params{Memory: 1024, Time: 1, Threads: 1}

func TestPassword(t *testing.T) {
	const pw = "كلمة-سر-Secret-2026"
	h, err := HashPassword(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Contains(h, pw) {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword(pw, cheap)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{pw, true}, {pw + " ", false}, {"", false}, {strings.ToUpper(pw), false}} {
		ok, err := CheckPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := HashPassword("short", cheap); !errors.Is(err, ErrBadPassword) {
		t.Errorf("short password: %v", err)
	}
	// A hash made with other parameters still verifies.
	strong, _ := HashPassword(pw, Argon2Params{Memory: 2048, Time: 2, Threads: 2})
	if ok, err := CheckPassword(strong, pw); !ok || err != nil {
		t.Errorf("hash with other parameters: %v %v", ok, err)
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good, _ := HashPassword("a-long-enough-password", cheap)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":       "",
		"bcrypt":      "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":     strings.Replace(good, "argon2id", "argon2i", 1),
		"version":     strings.Replace(good, "v=19", "v=16", 1),
		"params":      strings.Replace(good, "m=1024,t=1,p=1", "m=x", 1),
		"zero time":   strings.Replace(good, "t=1", "t=0", 1),
		"huge memory": strings.Replace(good, "m=1024", "m=99999999", 1),
		"salt":        strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"missing key": strings.Join(parts[:5], "$") + "$",
	} {
		if ok, err := CheckPassword(h, "a-long-enough-password"); ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: %v %v, want ErrBadHash", name, ok, err)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, ha := NewSecret(TokenPrefix)
	b, hb := NewSecret(TokenPrefix)
	if a == b || ha == hb || !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashSecret(a) != ha || len(ha) != 64 || strings.Contains(ha, a) {
		t.Fatalf("hash %q of %q", ha, a)
	}
	if CSRFToken(a) == CSRFToken(b) || CSRFToken(a) != CSRFToken(a) || CSRFToken(a) == ha {
		t.Fatal("CSRF tokens must differ per session, be stable, and differ from the stored id")
	}
	if !EqualSecret(a, a) || EqualSecret(a, b) {
		t.Fatal("EqualSecret")
	}
	if p := NewPassword(); len(p) != 20 || p == NewPassword() || len(p) < MinPassword {
		t.Fatalf("generated password %q", p)
	}
}

func TestSessionPolicy(t *testing.T) {
	p := SessionPolicy{Idle: 30 * time.Minute, Max: 8 * time.Hour}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: t0, SeenAt: t0}
	for _, tt := range []struct {
		name string
		seen time.Duration
		now  time.Duration
		live bool
	}{
		{"fresh", 0, time.Minute, true},
		{"idle", 0, 30 * time.Minute, false},
		{"kept alive", 7*time.Hour + 50*time.Minute, 7*time.Hour + 59*time.Minute, true},
		{"absolute", 7*time.Hour + 50*time.Minute, 8 * time.Hour, false},
	} {
		s.SeenAt = t0.Add(tt.seen)
		if got := p.Live(s, t0.Add(tt.now)); got != tt.live {
			t.Errorf("%s: live = %v", tt.name, got)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"amina", "عمر", "ops-bot_1", "a.b@unit"} {
		if err := ValidName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "a b", "x\u202e", "a/b", strings.Repeat("x", 65), "<script>"} {
		if err := ValidName(n); !errors.Is(err, ErrBadName) {
			t.Errorf("%q: %v, want ErrBadName", n, err)
		}
	}
}

// FuzzParseHash: whatever a stored hash holds, parsing it neither panics
// nor lets through parameters beyond the bounds.
func FuzzParseHash(f *testing.F) {
	good, _ := HashPassword("a-long-enough-password", cheap)
	for _, seed := range []string{good, "", "$argon2id$v=19$m=65536,t=3,p=2$$", "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=019$m=8,t=1,p=1$$a2V5a2V5a2V5a2V5"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := parseHash(encoded)
		if err != nil {
			return
		}
		if p.Memory > maxMemory || p.Time > maxTime || p.Time == 0 || p.Threads == 0 || len(salt) > maxSaltKey || len(key) < 16 || len(key) > maxSaltKey {
			t.Fatalf("%q parsed to %+v, salt %d, key %d bytes", encoded, p, len(salt), len(key))
		}
	})
}

// BenchmarkCheckPassword is the cost of one sign-in at the default
// parameters, beside the SHA-256 that checks a session or token.
func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("a-long-enough-password", DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("argon2id-default", func(b *testing.B) {
		for b.Loop() {
			CheckPassword(h, "a-long-enough-password")
		}
	})
	b.Run("baseline-sha256-secret", func(b *testing.B) {
		for b.Loop() {
			HashSecret("raqib_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")
		}
	})
}
