package account

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
)

// Edge kinds of the account graph.
const (
	EdgeForward = "forward"
	EdgeRepost  = "repost"
	EdgeQuote   = "quote"
	EdgeReply   = "reply"
	EdgeMention = "mention"
	EdgeOutlink = "outlink"
)

// Node is an account, a channel or a linked site of the graph.
type Node struct {
	ID      string  `json:"id"` // Key(platform, id) for accounts; "link:host" for sites
	Label   string  `json:"label"`
	Kind    string  `json:"kind"` // account, channel, site
	Posts   int     `json:"posts"`
	Flagged int     `json:"flagged"`
	Rank    float64 `json:"rank"`
}

// Edge is the amplification of To by From: From forwarded, reposted,
// quoted, answered, mentioned or linked To, Weight times.
type Edge struct {
	From, To string
	Kind     string
	Weight   int
	Flagged  int // of them in violating posts
}

type edgeKey struct{ from, to, kind string }

// Graph is built from posts in two passes: AddPost records who posted
// what, Build resolves replies and reposts to their authors.
type Graph struct {
	nodes   map[string]*Node
	edges   map[edgeKey]*Edge
	authors map[string]string // platform/post id -> author node
	handles map[string]string // platform/@handle -> author node
	pending []pendingEdge
}

type pendingEdge struct {
	from, target, kind string
	flagged            bool
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{nodes: map[string]*Node{}, edges: map[edgeKey]*Edge{}, authors: map[string]string{}, handles: map[string]string{}}
}

func (g *Graph) node(id, label, kind string) *Node {
	n, ok := g.nodes[id]
	if !ok {
		n = &Node{ID: id, Label: label, Kind: kind}
		g.nodes[id] = n
	} else if n.Label == "" || n.Label == id {
		n.Label = label
	}
	return n
}

func (g *Graph) edge(from, to, kind string, flagged bool) {
	if from == to {
		return
	}
	k := edgeKey{from, to, kind}
	e, ok := g.edges[k]
	if !ok {
		e = &Edge{From: from, To: to, Kind: kind}
		g.edges[k] = e
	}
	e.Weight++
	if flagged {
		e.Flagged++
	}
}

// AddPost adds a post's author and what it points to.
func (g *Graph) AddPost(p *post.Post) {
	if p.Author.ID == "" && p.Channel.ID == "" {
		return
	}
	from := Key(p.Platform, p.Author.ID)
	label := p.Author.Handle
	kind := "account"
	if p.Author.ID == "" {
		from, label, kind = Key(p.Platform, p.Channel.ID), p.Channel.Name, "channel"
	}
	if label == "" {
		label = from
	}
	n := g.node(from, label, kind)
	n.Posts++
	flagged := p.Decision.Violating
	if flagged {
		n.Flagged++
	}
	g.authors[string(p.Platform)+"/"+p.Channel.ID+"/"+p.ID] = from
	g.authors[string(p.Platform)+"//"+p.ID] = from
	if p.Author.Handle != "" {
		g.handles[string(p.Platform)+"/"+strings.ToLower(p.Author.Handle)] = from
	}
	if p.ForwardFrom != "" {
		to := Key(p.Platform, p.ForwardFrom)
		g.node(to, p.ForwardFrom, "channel")
		g.edge(from, to, EdgeForward, flagged)
	}
	for _, pe := range []struct{ id, kind, scope string }{
		{p.RepostOf, EdgeRepost, ""}, {p.QuoteOf, EdgeQuote, ""}, {p.ReplyTo, EdgeReply, p.Channel.ID},
	} {
		if pe.id != "" {
			g.pending = append(g.pending, pendingEdge{from, string(p.Platform) + "/" + pe.scope + "/" + pe.id, pe.kind, flagged})
		}
	}
	for _, m := range p.Mentions {
		g.pending = append(g.pending, pendingEdge{from, "@" + string(p.Platform) + "/" + strings.ToLower(strings.TrimPrefix(m, "@")), EdgeMention, flagged})
	}
	for _, l := range p.Outlinks {
		if to, label := LinkTarget(l); to != "" {
			kind := "site"
			if !strings.HasPrefix(to, "link:") {
				kind = "channel"
			}
			g.node(to, label, kind)
			g.edge(from, to, EdgeOutlink, flagged)
		}
	}
}

// LinkTarget names what a link points to in the graph: the Telegram
// channel or WhatsApp group it opens, or the site.
func LinkTarget(link string) (id, label string) {
	c := CanonLink(link)
	if c == "" {
		return "", ""
	}
	host, path, _ := strings.Cut(c, "/")
	first, _, _ := strings.Cut(path, "/")
	first, _, _ = strings.Cut(first, "?")
	switch {
	case (host == "t.me" || host == "telegram.me") && first != "" && first != "s":
		return Key(post.Telegram, strings.TrimPrefix(first, "+")), "t.me/" + first
	case host == "chat.whatsapp.com" && first != "":
		return Key(post.WhatsApp, "invite:"+first), c
	case (host == "x.com" || host == "twitter.com") && first != "":
		return Key(post.X, "@"+strings.ToLower(first)), "@" + first
	}
	return "link:" + host, host
}

// Build resolves replies, reposts, quotes and mentions to the accounts
// seen posting, computes PageRank, and returns nodes by rank and edges.
func (g *Graph) Build() ([]Node, []Edge) {
	for _, pe := range g.pending {
		var to string
		if strings.HasPrefix(pe.target, "@") {
			to = g.handles[pe.target[1:]]
			if to == "" {
				platform, h, _ := strings.Cut(pe.target[1:], "/")
				to = Key(post.Platform(platform), "@"+h)
				g.node(to, "@"+h, "account")
			}
		} else if to = g.authors[pe.target]; to == "" {
			continue
		}
		g.edge(pe.from, to, pe.kind, pe.flagged)
	}
	g.pending = nil
	nodes := make([]Node, 0, len(g.nodes))
	for _, n := range g.nodes {
		nodes = append(nodes, *n)
	}
	edges := make([]Edge, 0, len(g.edges))
	for _, e := range g.edges {
		edges = append(edges, *e)
	}
	slices.SortFunc(edges, func(a, b Edge) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), strings.Compare(a.Kind, b.Kind))
	})
	PageRank(nodes, edges, 0.85, 40)
	slices.SortFunc(nodes, func(a, b Node) int { return cmp.Or(cmp.Compare(b.Rank, a.Rank), strings.Compare(a.ID, b.ID)) })
	return nodes, edges
}

// PageRank sets the Rank of nodes from the weighted edges: rank flows from
// an amplifying account to what it amplifies, so the accounts and
// channels whose content the network spreads most rank highest. Dangling
// nodes spread their rank evenly.
func PageRank(nodes []Node, edges []Edge, damping float64, iterations int) {
	n := len(nodes)
	if n == 0 {
		return
	}
	idx := make(map[string]int, n)
	for i := range nodes {
		idx[nodes[i].ID] = i
	}
	out := make([]float64, n)
	for _, e := range edges {
		out[idx[e.From]] += float64(e.Weight)
	}
	rank, next := make([]float64, n), make([]float64, n)
	for i := range rank {
		rank[i] = 1 / float64(n)
	}
	for range iterations {
		dangling := 0.0
		for i := range rank {
			if out[i] == 0 {
				dangling += rank[i]
			}
		}
		base := (1-damping)/float64(n) + damping*dangling/float64(n)
		for i := range next {
			next[i] = base
		}
		for _, e := range edges {
			f := idx[e.From]
			next[idx[e.To]] += damping * rank[f] * float64(e.Weight) / out[f]
		}
		rank, next = next, rank
	}
	for i := range nodes {
		nodes[i].Rank = rank[i]
	}
}

// Neighbourhood returns the edges touching id, heaviest first, at most
// limit.
func Neighbourhood(edges []Edge, id string, limit int) []Edge {
	var out []Edge
	for _, e := range edges {
		if e.From == id || e.To == id {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Edge) int { return cmp.Compare(b.Weight, a.Weight) })
	return out[:min(len(out), limit)]
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// WriteGEXF writes the graph as GEXF 1.3 for Gephi, with kind, posts,
// flagged and rank as node attributes and the edge kind as its label.
func WriteGEXF(w io.Writer, nodes []Node, edges []Edge) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.3" version="1.3">
  <meta><creator>raqib</creator></meta>
  <graph defaultedgetype="directed" mode="static">
    <attributes class="node">
      <attribute id="kind" title="kind" type="string"/>
      <attribute id="posts" title="posts" type="integer"/>
      <attribute id="flagged" title="flagged" type="integer"/>
      <attribute id="rank" title="rank" type="double"/>
    </attributes>
    <attributes class="edge">
      <attribute id="flagged" title="flagged" type="integer"/>
    </attributes>
    <nodes>
`)
	for _, n := range nodes {
		fmt.Fprintf(&b, `      <node id="%s" label="%s"><attvalues><attvalue for="kind" value="%s"/><attvalue for="posts" value="%d"/><attvalue for="flagged" value="%d"/><attvalue for="rank" value="%g"/></attvalues></node>
`, esc(n.ID), esc(n.Label), esc(n.Kind), n.Posts, n.Flagged, n.Rank)
	}
	b.WriteString("    </nodes>\n    <edges>\n")
	for i, e := range edges {
		fmt.Fprintf(&b, `      <edge id="%d" source="%s" target="%s" label="%s" weight="%d"><attvalues><attvalue for="flagged" value="%d"/></attvalues></edge>
`, i, esc(e.From), esc(e.To), esc(e.Kind), e.Weight, e.Flagged)
	}
	b.WriteString("    </edges>\n  </graph>\n</gexf>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteGraphML writes the graph as GraphML with the same attributes.
func WriteGraphML(w io.Writer, nodes []Node, edges []Edge) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="label" for="node" attr.name="label" attr.type="string"/>
  <key id="kind" for="node" attr.name="kind" attr.type="string"/>
  <key id="posts" for="node" attr.name="posts" attr.type="int"/>
  <key id="flagged" for="node" attr.name="flagged" attr.type="int"/>
  <key id="rank" for="node" attr.name="rank" attr.type="double"/>
  <key id="ekind" for="edge" attr.name="kind" attr.type="string"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="int"/>
  <key id="eflagged" for="edge" attr.name="flagged" attr.type="int"/>
  <graph id="raqib" edgedefault="directed">
`)
	for _, n := range nodes {
		fmt.Fprintf(&b, `    <node id="%s"><data key="label">%s</data><data key="kind">%s</data><data key="posts">%d</data><data key="flagged">%d</data><data key="rank">%g</data></node>
`, esc(n.ID), esc(n.Label), esc(n.Kind), n.Posts, n.Flagged, n.Rank)
	}
	for _, e := range edges {
		fmt.Fprintf(&b, `    <edge source="%s" target="%s"><data key="ekind">%s</data><data key="weight">%d</data><data key="eflagged">%d</data></edge>
`, esc(e.From), esc(e.To), esc(e.Kind), e.Weight, e.Flagged)
	}
	b.WriteString("  </graph>\n</graphml>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
