//go:build !unix

package pipeline

import "os"

// lockDir is a no-op where flock is not available; running two embedded
// servers on one data directory is then the user's responsibility.
func lockDir(string) (*os.File, error) { return nil, nil }

func unlockDir(*os.File) {}
