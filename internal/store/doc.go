package store

import (
	"encoding/json"
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
)

// EncodeDoc is the stored JSON form of a post: everything but the raw
// payload, which implementations keep in a column of its own so that
// listing never reads it.
func EncodeDoc(p post.Post) ([]byte, error) {
	p.Raw = nil
	return json.Marshal(p)
}

// DecodeDoc reverses EncodeDoc and puts the raw payload back.
func DecodeDoc(doc, raw []byte) (post.Post, error) {
	var p post.Post
	if err := json.Unmarshal(doc, &p); err != nil {
		return p, fmt.Errorf("decode stored post: %w", err)
	}
	p.Raw = raw
	return p, nil
}
