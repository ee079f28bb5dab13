package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunsTheReadmeTestCommand keeps .ci/run and the README's "Test it"
// section in step: CI must test what a contributor is told to run, and both
// must bypass the test cache (a cached result once skipped the video tests
// before ffmpeg was installed).
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Test it\\s*```sh\\n(.*?)\\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no sh block under \"## Test it\"")
	}
	want := strings.TrimSpace(string(m[1]))
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, line := range strings.Split(string(ci), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "go test") {
			got = line
		}
	}
	if got != want {
		t.Errorf(".ci/run runs %q, the README says %q", got, want)
	}
	if !strings.Contains(want, "-count=1") {
		t.Errorf("the README's test command %q may reuse cached results; want -count=1", want)
	}
}
