package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

var (
	// ErrBadPassword is returned (wrapped, saying why) for a password
	// raqib will not set.
	ErrBadPassword = errors.New("unacceptable password")
	// ErrBadHash is returned (wrapped) for a stored password hash that
	// does not parse.
	ErrBadHash = errors.New("malformed password hash")
)

// MinPassword is the fewest characters a chosen password may have;
// generated ones are longer.
const MinPassword = 12

// Argon2Params are the argon2id cost settings written into every hash, so
// that raising them later leaves existing hashes verifiable.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 is OWASP's recommended argon2id setting (46 MiB, one pass,
// one lane). Measured on the 2-core development machine under load, one
// check took 0.18-0.27 s, against 0.84-1.26 s for RFC 9106's 64 MiB, 3
// passes, 2 lanes: a sign-in stays quick, and guessing stays memory-bound.
var DefaultArgon2 = Argon2Params{Memory: 46 * 1024, Time: 1, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC-style encoding of pw under argon2id with a
// fresh random salt: $argon2id$v=19$m=65536,t=3,p=2$SALT$KEY.
func HashPassword(pw string, p Argon2Params) (string, error) {
	if utf8.RuneCountInString(pw) < MinPassword {
		return "", fmt.Errorf("%w: at least %d characters", ErrBadPassword, MinPassword)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the encoded hash, comparing in
// constant time with the parameters the hash names.
func CheckPassword(encoded, pw string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Bounds of the parameters a stored hash may name, so that a corrupted or
// planted hash cannot make a sign-in allocate gigabytes or run for minutes.
const (
	maxMemory  = 1 << 18 // KiB: 256 MiB
	maxTime    = 16
	maxSaltKey = 64 // bytes
)

// parseHash reads HashPassword's encoding.
func parseHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: want $argon2id$v=..$m=..,t=..,p=..$salt$key", ErrBadHash)
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version || parts[2] != fmt.Sprintf("v=%d", v) {
		return p, nil, nil, fmt.Errorf("%w: version %q", ErrBadHash, parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Time > maxTime || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) > maxSaltKey {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > maxSaltKey {
		return p, nil, nil, fmt.Errorf("%w: key", ErrBadHash)
	}
	return p, salt, key, nil
}

// NewPassword returns a generated password: 20 characters of an alphabet
// without look-alikes, about 113 bits.
func NewPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIntn(len(alphabet))]
	}
	return string(b)
}

// randIntn returns a uniform random number below n (n <= 256) by
// rejection, so that no character is likelier than another.
func randIntn(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// TokenPrefix starts every API token, so that secret scanners and people
// recognise one that leaked.
const TokenPrefix = "raqib_"

// NewSecret returns a fresh 256-bit secret as sent to its holder (a
// session cookie or, with prefix TokenPrefix, an API token) and the hash
// under which it is stored; the store never sees the secret itself.
func NewSecret(prefix string) (secret, hash string) {
	var b [32]byte
	rand.Read(b[:])
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret returns the stored form of a session id or token: hex
// SHA-256. A 256-bit random secret needs no salt or slow hash.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CSRFToken returns the anti-forgery token of the session with this
// secret id: derived from it, so that every process computes the same
// token without storing it, and only a holder of the cookie can.
func CSRFToken(sessionSecret string) string {
	sum := sha256.Sum256([]byte("raqib-csrf-v1\x00" + sessionSecret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// EqualSecret compares two secrets in constant time.
func EqualSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
