package bankmatch_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect/bankmatch"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// frames writes a vPDQ value of frames from to from+n-1 of a video, of
// quality 90; frame i's hash is the SHA-256 of the video's name and i, so
// frames of a video are about 128 bits apart from each other and from
// other videos' frames.
func frames(video string, from, n int) string {
	var parts []string
	for i := from; i < from+n; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", video, i))
		parts = append(parts, fmt.Sprintf("%d,90,%x,%d.000", i, h, i))
	}
	return strings.Join(parts, ";")
}

func TestBankMatchIsTypedEvidence(t *testing.T) {
	const bankVideo = "banked video"
	repost := "#عاجل بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان: اثبتوا وانشروا الإصدار الجديد 🔥"
	sig, ok := signaltype.MinHash(arabic.Normalize("بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان: اثبتوا وانشروا الإصدار الجديد"))
	if !ok {
		t.Fatal("no signature")
	}
	m := hashbank.NewMatcher()
	err := m.Load([]hashbank.Bank{{Name: "partner", Kind: hashbank.KindPartner, Enabled: true, Distance: 31}}, []hashbank.Entry{
		{ID: 1, Bank: "partner", Type: "pdq", Hash: bankedPDQ, Enabled: true},
		{ID: 2, Bank: "partner", Type: "md5", Hash: strings.Repeat("AB", 16), Enabled: true},
		{ID: 3, Bank: "partner", Type: "minhash", Hash: sig, Enabled: true},
		{ID: 4, Bank: "partner", Type: "vpdq", Hash: frames(bankVideo, 0, 10), Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &bankmatch.Detector{Banks: m}
	for _, tc := range []struct {
		name string
		p    post.Post
		want post.Match
	}{
		{"pdq", post.Post{Media: photo("pdq", nearPDQ)}, post.Match{Bank: "partner", Entry: 1, Type: "pdq", Distance: 8, Threshold: 31}},
		{"md5", post.Post{Media: photo("md5", strings.Repeat("ab", 16))}, post.Match{Bank: "partner", Entry: 2, Type: "md5"}},
		{"minhash of a re-post", post.Post{Norm: arabic.Normalize(repost)}, post.Match{Bank: "partner", Entry: 3, Type: "minhash", Threshold: 38}},
		// 9 of the query's 10 frames are in the bank's 10: 90% both ways.
		{"vpdq of a cut", post.Post{Media: []post.Media{{Kind: "video", Hashes: []post.Hash{{Type: "vpdq", Value: frames(bankVideo, 1, 10)}}}}},
			post.Match{Bank: "partner", Entry: 4, Type: "vpdq", Distance: 10, Threshold: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sigs, err := d.Detect(&tc.p, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(sigs) != 1 || sigs[0].Match == nil {
				t.Fatalf("signals %+v, want one with a match", sigs)
			}
			got := *sigs[0].Match
			if tc.want.Type == "minhash" {
				// The distance is an estimate; the test checks it is a near match.
				if got.Distance <= 0 || got.Distance > got.Threshold {
					t.Errorf("minhash distance %d, want within (0, %d]", got.Distance, got.Threshold)
				}
				got.Distance = 0
			}
			if got != tc.want {
				t.Errorf("match %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("vpdq of another video", func(t *testing.T) {
		other := post.Post{Media: []post.Media{{Kind: "video", Hashes: []post.Hash{{Type: "vpdq", Value: frames("another video", 0, 10)}}}}}
		if sigs, err := d.Detect(&other, nil, nil); err != nil || len(sigs) != 0 {
			t.Errorf("signals %+v, %v; want none", sigs, err)
		}
	})
}

// TestNewSignalType registers a throwaway type, as a new type's file does,
// and follows it from a bank file to a typed match: nothing else knows it.
func TestNewSignalType(t *testing.T) {
	ocr := &signaltype.Type{
		Name:    "test-ocr",
		Title:   "OCR text hash",
		Content: []signaltype.Content{signaltype.Image},
		Canonical: func(v string) (string, error) {
			if v = strings.ToLower(strings.TrimSpace(v)); v == "" {
				return "", signaltype.ErrBadValue
			}
			return v, nil
		},
	}
	if err := signaltype.Register(ocr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { signaltype.Unregister(ocr) })
	entries, bad, err := hashbank.ReadCSV(strings.NewReader("hash,type,labels\nBAQIYA,test-ocr,propaganda\n"), "ocr.csv", "own")
	if err != nil || len(bad) != 0 || len(entries) != 1 {
		t.Fatalf("read: %v %v %v", entries, bad, err)
	}
	entries[0].ID = 7
	m := hashbank.NewMatcher()
	if err := m.Load([]hashbank.Bank{{Name: "own", Kind: hashbank.KindOwn, Enabled: true}}, entries); err != nil {
		t.Fatal(err)
	}
	p := post.Post{Media: photo("test-ocr", "baqiya")}
	sigs, err := (&bankmatch.Detector{Banks: m}).Detect(&p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := post.Match{Bank: "own", Entry: 7, Type: "test-ocr"}
	if len(sigs) != 1 || *sigs[0].Match != want || !strings.Contains(sigs[0].Explanation, "exact OCR text hash") {
		t.Fatalf("signals %+v, want a match %+v", sigs, want)
	}
}
