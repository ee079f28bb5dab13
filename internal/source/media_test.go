package source

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/raqib-project/raqib/internal/post"
)

func TestHashMedia(t *testing.T) {
	before := post.Media{Kind: "photo", Path: "a.jpg", Size: 99}
	tests := []struct {
		name string
		r    io.Reader
		want post.Media
	}{
		{"read", strings.NewReader("abc"), post.Media{Kind: "photo", Path: "a.jpg", Size: 3,
			Hashes: []post.Hash{{Type: "sha256", Value: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
				{Type: "md5", Value: "900150983cd24fb0d6963f7d28e17f72"}}}},
		{"empty", strings.NewReader(""), post.Media{Kind: "photo", Path: "a.jpg",
			Hashes: []post.Hash{{Type: "sha256", Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
				{Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e"}}}},
		{"read error keeps m", iotest.TimeoutReader(strings.NewReader("abc")), before},
		{"error at once keeps m", iotest.ErrReader(errors.New("damaged")), before},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HashMedia(before, tt.r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
