// Package enrich is the stage between ingest and detect: it adds to a post
// what every detector needs and no importer can be trusted to fill the same
// way: the normalized text, the language, and the links, mentions and
// hashtags found in the text.
package enrich

import (
	"slices"
	"strings"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
)

// Post enriches p in place. It always recomputes Norm, so that a post
// stored by an older raqib is searchable the same way after re-detection.
func Post(p *post.Post) {
	text := p.Text
	if p.Title != "" {
		text = p.Title + "\n" + p.Text
	}
	p.Norm = arabic.Normalize(text)
	if p.Lang == "" || p.Lang == "und" {
		p.Lang = arabic.Language(text)
	}
	e := arabic.Extract(text)
	p.Outlinks = union(p.Outlinks, e.URLs)
	p.Mentions = union(trim(p.Mentions, "@"), e.Mentions)
	p.Hashtags = union(trim(p.Hashtags, "#"), e.Hashtags)
}

// trim drops the sigil some importers keep ("#tag", "@name"), so that one
// entity is stored one way.
func trim(list []string, sigil string) []string {
	for i, s := range list {
		list[i] = strings.TrimPrefix(s, sigil)
	}
	return list
}

// union appends the items of add that have is missing, keeping order.
func union(have, add []string) []string {
	for _, s := range add {
		if !slices.Contains(have, s) {
			have = append(have, s)
		}
	}
	return have
}
