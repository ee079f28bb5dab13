package storetest

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store"
)

// OCRStore is a store that also keeps readings of media files.
type OCRStore interface {
	store.Store
	store.OCRTexts
}

// RunOCR runs the OCR-reading suite against fresh, empty stores.
func RunOCR(t *testing.T, open func(t *testing.T) OCRStore) {
	ctx := context.Background()
	t.Run("save and read", func(t *testing.T) {
		s := open(t)
		got, err := s.OCRTexts(ctx, []string{"a"})
		if err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v, %v", got, err)
		}
		if err := s.SaveOCRTexts(ctx, nil); err != nil {
			t.Fatal(err)
		}
		// Hand-made: the reading is opaque to the store.
		err = s.SaveOCRTexts(ctx, []store.OCRText{{Key: "a/ara", Data: []byte(`{"text":"جنود الخلافة"}`)}, {Key: "b/ara", Data: []byte{0, 1, 2}}})
		if err != nil {
			t.Fatal(err)
		}
		// The first reading of a key stays.
		if err := s.SaveOCRTexts(ctx, []store.OCRText{{Key: "a/ara", Data: []byte("other")}, {Key: "c/ara", Data: []byte("c")}}); err != nil {
			t.Fatal(err)
		}
		got, err = s.OCRTexts(ctx, []string{"a/ara", "b/ara", "c/ara", "missing"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"a/ara": `{"text":"جنود الخلافة"}`, "b/ara": "\x00\x01\x02", "c/ara": "c"}
		if len(got) != len(want) {
			t.Fatalf("got %d readings, want %d: %q", len(got), len(want), got)
		}
		for k, v := range want {
			if string(got[k]) != v {
				t.Errorf("reading %s = %q, want %q", k, got[k], v)
			}
		}
	})
}
