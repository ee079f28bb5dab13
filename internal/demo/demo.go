// Package demo holds the sample corpus that `raqib demo` imports: hand-made,
// fictional posts in the real export formats (Telegram, WhatsApp, X, RSS),
// Arabic first, with news about ISIS that must not be flagged beside
// genre-typical supporter posts that must.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed corpus
var corpus embed.FS

// Corpus returns the sample files.
func Corpus() fs.FS {
	sub, err := fs.Sub(corpus, "corpus")
	if err != nil {
		panic(err) // the embedded tree always has the folder
	}
	return sub
}

// WriteCorpus copies the sample files into dir, which importers need as
// real files (exports reference media beside them).
// Only the exports are written: the corpus's README and its expected
// labels would otherwise be imported as plain-text posts.
func WriteCorpus(dir string) error {
	top, err := fs.ReadDir(Corpus(), ".")
	if err != nil {
		return fmt.Errorf("read demo corpus: %w", err)
	}
	for _, e := range top {
		if !e.IsDir() {
			continue
		}
		sub, err := fs.Sub(Corpus(), e.Name())
		if err != nil {
			return fmt.Errorf("read demo corpus: %w", err)
		}
		if err := os.CopyFS(filepath.Join(dir, e.Name()), sub); err != nil {
			return fmt.Errorf("write demo corpus to %s: %w", filepath.Clean(dir), err)
		}
	}
	return nil
}
