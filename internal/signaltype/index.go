package signaltype

import "slices"

// exactIndex finds equal values through a map.
type exactIndex struct {
	ids map[string][]int
	n   int
}

func newExactIndex() *exactIndex { return &exactIndex{ids: map[string][]int{}} }

func (ix *exactIndex) Add(values ...string) error {
	for _, v := range values {
		ix.ids[v] = append(ix.ids[v], ix.n)
		ix.n++
	}
	return nil
}

func (ix *exactIndex) Query(q string, _ int) ([]Hit, error) {
	ids := ix.ids[q]
	out := make([]Hit, len(ids))
	for i, id := range ids {
		out[i] = Hit{ID: id}
	}
	return out, nil
}

// scanIndex compares a query with every value: enough for types whose
// banks stay small (text signatures), and what a new type starts with
// before it needs an index of its own.
type scanIndex struct {
	distance func(a, b string) (int, error)
	values   []string
}

func (ix *scanIndex) Add(values ...string) error {
	ix.values = append(ix.values, values...)
	return nil
}

func (ix *scanIndex) Query(q string, threshold int) ([]Hit, error) {
	var out []Hit
	for id, v := range ix.values {
		d, err := ix.distance(q, v)
		if err != nil {
			return nil, err
		}
		if d <= threshold {
			out = append(out, Hit{ID: id, Distance: d})
		}
	}
	sortHits(out)
	return out, nil
}

// sortHits orders hits nearest first, ties by id.
func sortHits(h []Hit) {
	slices.SortFunc(h, func(a, b Hit) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return a.ID - b.ID
	})
}
