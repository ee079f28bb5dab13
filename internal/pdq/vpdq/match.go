package vpdq

// Thresholds the reference's matcher starts from.
const (
	// DefaultDistance: frames match when their hashes differ in fewer bits.
	DefaultDistance = 31
	// DefaultQuality: frames of lower quality are left out of matching.
	DefaultQuality = 50
)

// Match compares two videos as the reference's brute-force matcher does.
// Frames below minQuality are dropped from both; queryPct is the
// percentage of the remaining query frames that have a target frame within
// Hamming distance < distance, and targetPct the same the other way round.
// Both are 0 when either side has no frame left.
func Match(query, target []Feature, distance, minQuality int) (queryPct, targetPct float64) {
	q, t := goodFrames(query, minQuality), goodFrames(target, minQuality)
	if len(q) == 0 || len(t) == 0 {
		return 0, 0
	}
	return 100 * float64(matched(q, t, distance)) / float64(len(q)),
		100 * float64(matched(t, q, distance)) / float64(len(t))
}

func goodFrames(fs []Feature, minQuality int) []Feature {
	out := make([]Feature, 0, len(fs))
	for _, f := range fs {
		if f.Quality >= minQuality {
			out = append(out, f)
		}
	}
	return out
}

// matched counts the frames of a with a close frame in b.
func matched(a, b []Feature, distance int) int {
	n := 0
	for _, fa := range a {
		for _, fb := range b {
			if fa.Hash.Distance(fb.Hash) < distance {
				n++
				break
			}
		}
	}
	return n
}
