// Package shareddata finds the project's shared, licence-restricted data
// sets (../shared/data next to the repository) for tests and evaluations.
// They are never copied into the repository; tests skip when they are absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the shared data directory: $RAQIB_SHARED_DATA when set, else
// the first shared/data found beside the repository root or any directory
// above the working directory. It returns "" when there is none.
func Root() string {
	if d := os.Getenv("RAQIB_SHARED_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "..", "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of rel inside the shared data directory, or "" when
// it does not exist.
func Path(rel ...string) string {
	root := Root()
	if root == "" {
		return ""
	}
	p := filepath.Join(append([]string{root}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Need returns the path of rel inside the shared data directory, or skips
// the test with a message naming the folder it needs.
func Need(tb testing.TB, rel ...string) string {
	tb.Helper()
	p := Path(rel...)
	if p == "" {
		tb.Skipf("needs ../shared/data/%s (the shared data sets are not in the repository); skipping", filepath.Join(rel...))
	}
	return p
}
