package ocr

// CharAccuracy is 1 - the edit distance between the runes of truth and got
// divided by the runes of truth (at least 0): the usual character accuracy
// of OCR.
func CharAccuracy(truth, got string) float64 {
	a, b := []rune(truth), []rune(got)
	if len(a) == 0 {
		if len(b) == 0 {
			return 1
		}
		return 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return max(0, 1-float64(prev[len(b)])/float64(len(a)))
}
