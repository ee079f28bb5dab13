package lexicon

import "sort"

// automaton is an Aho-Corasick automaton over bytes, compiled to a complete
// transition table: a scan takes one table lookup per byte, without
// following failure links. Bytes are mapped to classes first: a lexicon of
// Arabic and English terms uses under a hundred distinct bytes (in UTF-8
// Arabic every other byte is a lead byte 0xD8 or 0xD9), and every byte that
// no term contains shares class 0, so a row has a few dozen entries instead
// of 256 and thousands of terms fit in a few megabytes.
type automaton struct {
	class   [256]uint8 // byte -> class; 0 for bytes in no pattern
	classes int32      // row length: distinct pattern bytes + 1
	delta   []int32    // delta[n*classes+class]: next node
	dict    []int32    // nearest node on the failure chain that has output, 0 if none
	first   []int32    // node n itself if it has output, else dict[n]: where a scan's reports start
	outOff  []int32    // patterns ending at node n: outs[outOff[n]:outOff[n+1]]
	outs    []int32
}

type buildNode struct {
	edges []buildEdge // sorted by label
	outs  []int32
}

type buildEdge struct {
	label  byte
	target int32
}

func (n *buildNode) child(c byte) int32 {
	i := sort.Search(len(n.edges), func(i int) bool { return n.edges[i].label >= c })
	if i < len(n.edges) && n.edges[i].label == c {
		return n.edges[i].target
	}
	return -1
}

// buildAutomaton compiles the patterns; pattern i is reported as i.
func buildAutomaton(patterns [][]byte) *automaton {
	a := &automaton{}
	nodes := []buildNode{{}}
	for pi, p := range patterns {
		cur := int32(0)
		for _, c := range p {
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

	// One class per byte that occurs in a pattern, in byte order.
	var used [256]bool
	for _, p := range patterns {
		for _, c := range p {
			used[c] = true
		}
	}
	byClass := []byte{0} // class 0 stands for every unused byte
	for c, u := range used {
		if u {
			a.class[c] = uint8(len(byClass))
			byClass = append(byClass, byte(c))
		}
	}
	k := int32(len(byClass))
	a.classes = k

	a.outOff = make([]int32, len(nodes)+1)
	for i := range nodes {
		a.outOff[i] = int32(len(a.outs))
		a.outs = append(a.outs, nodes[i].outs...)
	}
	a.outOff[len(nodes)] = int32(len(a.outs))

	// Breadth-first: a node's failure target is shallower, so its row and
	// dictionary link are final when the node needs them. The root's
	// missing edges stay at the root (0).
	fail := make([]int32, len(nodes))
	a.dict = make([]int32, len(nodes))
	a.delta = make([]int32, int(k)*len(nodes))
	for _, e := range nodes[0].edges {
		a.delta[int32(a.class[e.label])] = e.target
	}
	order := make([]int32, 0, len(nodes))
	for _, e := range nodes[0].edges {
		order = append(order, e.target)
	}
	for qi := 0; qi < len(order); qi++ {
		u := order[qi]
		f := fail[u]
		row, frow := a.delta[u*k:(u+1)*k], a.delta[f*k:(f+1)*k]
		copy(row, frow)
		for _, e := range nodes[u].edges {
			v := e.target
			cl := a.class[e.label]
			// The failure target of v is where u's failure target goes on
			// the same byte (frow is complete).
			if t := frow[cl]; t != v {
				fail[v] = t
			}
			if ff := fail[v]; len(nodes[ff].outs) > 0 {
				a.dict[v] = ff
			} else {
				a.dict[v] = a.dict[ff]
			}
			row[cl] = v
			order = append(order, v)
		}
	}
	a.first = make([]int32, len(nodes))
	for n := range nodes {
		if len(nodes[n].outs) > 0 {
			a.first[n] = int32(n)
		} else {
			a.first[n] = a.dict[n]
		}
	}
	return a
}

// scan calls fn(pattern, end) for every occurrence of every pattern in text,
// in order of end offset.
func (a *automaton) scan(text []byte, fn func(pattern int32, end int)) {
	s, k := int32(0), a.classes
	for i, c := range text {
		s = a.delta[s*k+int32(a.class[c])]
		for o := a.first[s]; o != 0; o = a.dict[o] {
			for _, p := range a.outs[a.outOff[o]:a.outOff[o+1]] {
				fn(p, i+1)
			}
		}
	}
}
