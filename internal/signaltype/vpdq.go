package signaltype

import (
	"bytes"
	"fmt"
	"github.com/raqib-project/raqib/internal/pdq"
	"math"
	"strings"

	"github.com/raqib-project/raqib/internal/hashbank/mih"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
)

// VPDQ is Meta's video hash: the PDQ hashes of one frame a second. A value
// is the reference's features, "frame,quality,hash,timestamp" per frame,
// frames separated by ';' (newlines are accepted too). Two videos match as
// the reference's matcher decides: frames of quality below 50 are left out,
// two frames match under PDQ distance 31, and the distance of two videos is
// 100 minus the smaller of the percentages of query frames and of bank
// frames that have a match in the other video; 20 (both shares at least
// 80%) is the default threshold.
var VPDQ = &Type{
	Name:        "vpdq",
	Title:       "vPDQ",
	HashColumn:  "vpdq_hash",
	Shared:      true,
	Content:     []Content{Video},
	Canonical:   canonicalVPDQ,
	Distance:    vpdqDistance,
	Threshold:   20,
	MaxDistance: vpdqMax,
	NewIndex:    func() Index { return &vpdqIndex{frames: mih.NewIndex(nil)} },
}

// vpdqMax is the distance of videos that share no frame.
const vpdqMax = 100

// VPDQValue writes video features as a VPDQ value.
func VPDQValue(fs []vpdq.Feature) (string, error) {
	var b bytes.Buffer
	if err := vpdq.WriteFeatures(&b, fs); err != nil {
		return "", err
	}
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", ";"), nil
}

func parseVPDQ(v string) ([]vpdq.Feature, error) {
	fs, err := vpdq.ReadFeatures(strings.NewReader(strings.ReplaceAll(v, ";", "\n")))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("%w: no frames", ErrBadValue)
	}
	return fs, nil
}

func canonicalVPDQ(v string) (string, error) {
	fs, err := parseVPDQ(v)
	if err != nil {
		return "", err
	}
	return VPDQValue(fs)
}

// goodFrames are the hashes of the frames that take part in matching.
func goodFrames(fs []vpdq.Feature) []pdq.Hash {
	var out []pdq.Hash
	for _, f := range fs {
		if f.Quality < vpdq.DefaultQuality {
			continue
		}
		out = append(out, f.Hash)
	}
	return out
}

func vpdqDistance(a, b string) (int, error) {
	ix := &vpdqIndex{frames: mih.NewIndex(nil)}
	if err := ix.Add(b); err != nil {
		return 0, err
	}
	hits, err := ix.Query(a, vpdqMax)
	if err != nil || len(hits) == 0 {
		return vpdqMax, err
	}
	return hits[0].Distance, nil
}

// vpdqIndex keeps the good frames of every video in one PDQ multi-index,
// so that a query costs one index lookup per query frame whatever the
// number of videos.
type vpdqIndex struct {
	frames *mih.Index
	owner  []int // frame id -> video id
	count  []int // video id -> its good frames
}

func (ix *vpdqIndex) Add(values ...string) error {
	var all [][]pdq.Hash
	for _, v := range values {
		fs, err := parseVPDQ(v)
		if err != nil {
			return err
		}
		all = append(all, goodFrames(fs))
	}
	var frames []pdq.Hash
	for _, hs := range all {
		video := len(ix.count)
		ix.count = append(ix.count, len(hs))
		for range hs {
			ix.owner = append(ix.owner, video)
		}
		frames = append(frames, hs...)
	}
	ix.frames = addHashes(ix.frames, frames)
	return nil
}

func (ix *vpdqIndex) Query(q string, threshold int) ([]Hit, error) {
	fs, err := parseVPDQ(q)
	if err != nil {
		return nil, err
	}
	query := goodFrames(fs)
	if len(query) == 0 {
		return nil, nil
	}
	queryMatched := map[int]int{} // video -> query frames with a match in it
	bankMatched := map[int]bool{} // bank frames with a match in the query
	for _, h := range query {
		seen := map[int]bool{}
		for _, f := range ix.frames.Query(h, vpdq.DefaultDistance-1) {
			v := ix.owner[f.ID]
			bankMatched[int(f.ID)] = true
			if !seen[v] {
				seen[v] = true
				queryMatched[v]++
			}
		}
	}
	bankCount := map[int]int{}
	for f := range bankMatched {
		bankCount[ix.owner[f]]++
	}
	var out []Hit
	for v, n := range queryMatched {
		share := min(float64(n)/float64(len(query)), float64(bankCount[v])/float64(ix.count[v]))
		// The epsilon keeps 4 of 5 frames at 80%, not 79.99...
		d := vpdqMax - int(math.Floor(100*share+1e-9))
		if d <= threshold {
			out = append(out, Hit{ID: v, Distance: d})
		}
	}
	sortHits(out)
	return out, nil
}
