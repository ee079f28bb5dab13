package lexicon

import (
	"sort"
	"unicode/utf8"
)

// automaton is an Aho-Corasick automaton over runes, compiled to a complete
// transition table: a scan takes one table lookup per rune, without
// following failure links. Stepping by rune rather than by byte halves the
// steps over Arabic text, two bytes a letter in UTF-8, and halves the nodes
// of Arabic terms, so less of the table competes for the caches with the
// classifier's weights. Runes are mapped to classes first: a lexicon uses under a
// hundred distinct runes, and every rune that no term contains shares class
// 0, so a row has a few dozen entries.
//
// Rows hold node numbers, in 16 bits when the nodes fit (any lexicon of a
// few thousand terms), which halves the table the scan walks. Column 0 of a
// row is free for the node's output: class 0 always leads back to the root,
// which scan does without the table.
type automaton struct {
	// narrow is the class of each rune below 0x800 (one or two bytes of
	// UTF-8: ASCII, Arabic, Latin and Greek letters); wide those of the
	// longer runes that occur in patterns, nil when none does.
	narrow  [0x800]int32
	wide    map[rune]int32
	classes int32
	// small or big holds the rows: [n*classes+class] is the next node,
	// [n*classes] the first node from n on with output, 0 if none.
	small  []uint16
	big    []int32
	dict   []int32 // by node: nearest node on the failure chain that has output, 0 if none
	outOff []int32 // patterns ending at node n: outs[outOff[n]:outOff[n+1]]
	outs   []int32
}

type buildNode struct {
	edges []buildEdge // sorted by label
	outs  []int32
}

type buildEdge struct {
	label  int32 // class
	target int32
}

func (n *buildNode) child(c int32) int32 {
	i := sort.Search(len(n.edges), func(i int) bool { return n.edges[i].label >= c })
	if i < len(n.edges) && n.edges[i].label == c {
		return n.edges[i].target
	}
	return -1
}

// buildAutomaton compiles the patterns, which must be valid UTF-8 (as
// arabic.Normalize output always is); pattern i is reported as i.
func buildAutomaton(patterns [][]byte) *automaton {
	a := &automaton{}
	// One class per rune that occurs in a pattern, in rune order.
	used := map[rune]bool{}
	for _, p := range patterns {
		for _, r := range string(p) {
			used[r] = true
		}
	}
	runes := make([]rune, 0, len(used))
	for r := range used {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	for i, r := range runes {
		c := int32(i + 1) // class 0 stands for every unused rune
		if r < int32(len(a.narrow)) {
			a.narrow[r] = c
			continue
		}
		if a.wide == nil {
			a.wide = map[rune]int32{}
		}
		a.wide[r] = c
	}
	k := int32(len(runes) + 1)
	a.classes = k

	nodes := []buildNode{{}}
	for pi, p := range patterns {
		cur := int32(0)
		for _, r := range string(p) {
			c := a.class(r)
			next := nodes[cur].child(c)
			if next < 0 {
				next = int32(len(nodes))
				nodes = append(nodes, buildNode{})
				es := nodes[cur].edges
				i := sort.Search(len(es), func(i int) bool { return es[i].label >= c })
				es = append(es, buildEdge{})
				copy(es[i+1:], es[i:])
				es[i] = buildEdge{label: c, target: next}
				nodes[cur].edges = es
			}
			cur = next
		}
		nodes[cur].outs = append(nodes[cur].outs, int32(pi))
	}

	a.outOff = make([]int32, len(nodes)+1)
	for i := range nodes {
		a.outOff[i] = int32(len(a.outs))
		a.outs = append(a.outs, nodes[i].outs...)
	}
	a.outOff[len(nodes)] = int32(len(a.outs))

	// Breadth-first: a node's failure target is shallower, so its row and
	// dictionary link are final when the node needs them. The root's
	// missing edges stay at the root (0). Rows hold node numbers while
	// they are built, offsets once all are.
	fail := make([]int32, len(nodes))
	a.dict = make([]int32, len(nodes))
	delta := make([]int32, int(k)*len(nodes))
	for _, e := range nodes[0].edges {
		delta[e.label] = e.target
	}
	order := make([]int32, 0, len(nodes))
	for _, e := range nodes[0].edges {
		order = append(order, e.target)
	}
	for qi := 0; qi < len(order); qi++ {
		u := order[qi]
		f := fail[u]
		row, frow := delta[u*k:(u+1)*k], delta[f*k:(f+1)*k]
		copy(row, frow)
		for _, e := range nodes[u].edges {
			v := e.target
			// The failure target of v is where u's failure target goes on
			// the same rune (frow is complete).
			if t := frow[e.label]; t != v {
				fail[v] = t
			}
			if ff := fail[v]; len(nodes[ff].outs) > 0 {
				a.dict[v] = ff
			} else {
				a.dict[v] = a.dict[ff]
			}
			row[e.label] = v
			order = append(order, v)
		}
	}
	for n := range nodes {
		// Where a scan's reports start: n itself if it has output.
		if len(nodes[n].outs) > 0 {
			delta[int32(n)*k] = int32(n)
		} else {
			delta[int32(n)*k] = a.dict[n]
		}
	}
	if len(nodes) > 1<<16 {
		a.big = delta
		return a
	}
	a.small = make([]uint16, len(delta))
	for i, v := range delta {
		a.small[i] = uint16(v)
	}
	return a
}

// class returns the class of r.
func (a *automaton) class(r rune) int32 {
	if r >= 0 && r < int32(len(a.narrow)) {
		return a.narrow[r]
	}
	return a.wide[r]
}

// scan calls fn(pattern, end) for every occurrence of every pattern in text,
// in order of end offset. Text need not be valid UTF-8: a valid pattern
// never starts inside a valid rune, so the byte offsets of the matches are
// those a byte-wise search finds.
func (a *automaton) scan(text []byte, fn func(pattern int32, end int)) {
	if a.small != nil {
		scanRows(a, a.small, text, fn)
	} else {
		scanRows(a, a.big, text, fn)
	}
}

// scanRows is scan over the rows in delta, one of a's tables.
func scanRows[T uint16 | int32](a *automaton, delta []T, text []byte, fn func(pattern int32, end int)) {
	s, k := int32(0), a.classes // s: the current node
	for i := 0; i < len(text); {
		var c int32
		if b := text[i]; b < utf8.RuneSelf {
			c = a.narrow[b]
			i++
		} else if b >= 0xc2 && b < 0xe0 && i+1 < len(text) && text[i+1]&0xc0 == 0x80 {
			c = a.narrow[rune(b&0x1f)<<6|rune(text[i+1]&0x3f)]
			i += 2
		} else {
			r, size := utf8.DecodeRune(text[i:])
			i += size
			if a.wide != nil && size > 1 {
				c = a.wide[r]
			}
		}
		if c == 0 {
			s = 0
			continue
		}
		s = int32(delta[s*k+c])
		for o := int32(delta[s*k]); o != 0; o = a.dict[o] {
			for _, p := range a.outs[a.outOff[o]:a.outOff[o+1]] {
				fn(p, i)
			}
		}
	}
}
