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
func WriteCorpus(dir string) error {
	if err := os.CopyFS(dir, Corpus()); err != nil {
		return fmt.Errorf("write demo corpus to %s: %w", filepath.Clean(dir), err)
	}
	return nil
}
