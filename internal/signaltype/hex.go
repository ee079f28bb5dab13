package signaltype

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// canonicalHex accepts n hex digits in either case and returns them in
// lower case, the form digests are stored and compared in.
func canonicalHex(n int) func(string) (string, error) {
	return func(v string) (string, error) {
		v = strings.TrimSpace(v)
		if len(v) != n {
			return "", fmt.Errorf("%w: want %d hex digits, got %d characters", ErrBadValue, n, len(v))
		}
		if _, err := hex.DecodeString(v); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadValue, err)
		}
		return strings.ToLower(v), nil
	}
}
