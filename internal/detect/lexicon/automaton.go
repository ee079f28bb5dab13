package lexicon

import "sort"

// automaton is an Aho-Corasick automaton over bytes. The root and its
// children have dense 256-entry tables: in UTF-8 Arabic every other byte is
// a lead byte (0xD8, 0xD9), so failure chains end at those first-level nodes
// most of the time. Deeper nodes keep their few outgoing edges as sorted
// byte/target runs in two flat arrays, and failure links are followed at
// match time instead of being compiled into a full transition table, which
// keeps thousands of UTF-8 patterns in a few hundred kilobytes.
type automaton struct {
	root    [256]int32   // child of the root per byte; 0 means stay at the root
	dense   [][256]int32 // complete transition rows of the root's children
	denseOf []int32      // row in dense of node n, or -1
	edgeOff []int32      // edges of node n: labels/targets[edgeOff[n]:edgeOff[n+1]]
	labels  []byte
	targets []int32
	fail    []int32
	dict    []int32 // nearest node on the failure chain that has output, 0 if none
	outOff  []int32 // patterns ending at node n: outs[outOff[n]:outOff[n+1]]
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

	a := &automaton{
		edgeOff: make([]int32, len(nodes)+1),
		fail:    make([]int32, len(nodes)),
		dict:    make([]int32, len(nodes)),
		outOff:  make([]int32, len(nodes)+1),
	}
	for i := range nodes {
		a.edgeOff[i] = int32(len(a.labels))
		for _, e := range nodes[i].edges {
			a.labels = append(a.labels, e.label)
			a.targets = append(a.targets, e.target)
		}
		a.outOff[i] = int32(len(a.outs))
		a.outs = append(a.outs, nodes[i].outs...)
	}
	a.edgeOff[len(nodes)] = int32(len(a.labels))
	a.outOff[len(nodes)] = int32(len(a.outs))
	for _, e := range nodes[0].edges {
		a.root[e.label] = e.target
	}
	a.denseOf = make([]int32, len(nodes))
	for i := range a.denseOf {
		a.denseOf[i] = -1
	}
	for _, e := range nodes[0].edges {
		// A first-level node fails to the root, so its complete row is its
		// own edges over the root's.
		row := a.root
		for _, ce := range nodes[e.target].edges {
			row[ce.label] = ce.target
		}
		a.denseOf[e.target] = int32(len(a.dense))
		a.dense = append(a.dense, row)
	}

	// Breadth-first, so that a node's failure target is final before its
	// children need it.
	queue := make([]int32, 0, len(nodes))
	for _, e := range nodes[0].edges {
		queue = append(queue, e.target)
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range nodes[u].edges {
			v := e.target
			queue = append(queue, v)
			f := a.fail[u]
			for f != 0 && nodes[f].child(e.label) < 0 {
				f = a.fail[f]
			}
			if t := nodes[f].child(e.label); t >= 0 && t != v {
				a.fail[v] = t
			}
			if ff := a.fail[v]; len(nodes[ff].outs) > 0 {
				a.dict[v] = ff
			} else {
				a.dict[v] = a.dict[ff]
			}
		}
	}
	return a
}

// child returns the target of node s on byte c, or -1.
func (a *automaton) child(s int32, c byte) int32 {
	lo, hi := a.edgeOff[s], a.edgeOff[s+1]
	if hi-lo <= 8 {
		for i := lo; i < hi; i++ {
			if a.labels[i] == c {
				return a.targets[i]
			}
		}
		return -1
	}
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		switch l := a.labels[m]; {
		case l == c:
			return a.targets[m]
		case l < c:
			lo = m + 1
		default:
			hi = m
		}
	}
	return -1
}

// step is the goto function with failure links.
func (a *automaton) step(s int32, c byte) int32 {
	for s != 0 {
		if d := a.denseOf[s]; d >= 0 {
			return a.dense[d][c]
		}
		if t := a.child(s, c); t >= 0 {
			return t
		}
		s = a.fail[s]
	}
	return a.root[c]
}

// scan calls fn(pattern, end) for every occurrence of every pattern in text,
// in order of end offset.
func (a *automaton) scan(text []byte, fn func(pattern int32, end int)) {
	s := int32(0)
	for i, c := range text {
		s = a.step(s, c)
		o := s
		if a.outOff[o] == a.outOff[o+1] {
			o = a.dict[o]
		}
		for o != 0 {
			for _, p := range a.outs[a.outOff[o]:a.outOff[o+1]] {
				fn(p, i+1)
			}
			o = a.dict[o]
		}
	}
}
