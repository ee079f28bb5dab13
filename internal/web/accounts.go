package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// errNoAccounts answers account requests when the store keeps no account
// registry.
var errNoAccounts = fmt.Errorf("%w: %w", account.ErrNoRegistry, store.ErrNotFound)

// timelineDays is the span of the per-day charts of account and channel
// pages; overviewDays that of the overview.
const (
	timelineDays = 60
	overviewDays = 30
)

// accountURL links an account page; the id is escaped as one path tail.
func accountURL(a store.AccountRef) string {
	return "/accounts/" + url.PathEscape(string(a.Platform)) + "/" + url.PathEscape(a.ID)
}

// nodeURL links a graph node of a kind: an account or channel page, or
// nothing for a site.
func nodeURL(id, kind string) string {
	platform, rest, ok := account.SplitKey(id)
	switch {
	case !ok || kind == "site":
		return ""
	case kind == "channel":
		return "/channels/" + url.PathEscape(string(platform)) + "/" + url.PathEscape(rest)
	}
	return accountURL(store.AccountRef{Platform: platform, ID: rest})
}

// successorView is a successor link with its evidence read back.
type successorView struct {
	store.SuccessorLink
	Ev       account.Evidence
	FromName string
	ToName   string
}

func (s *server) viewSuccessors(r *http.Request, ls []store.SuccessorLink) []successorView {
	out := make([]successorView, 0, len(ls))
	names := map[store.AccountRef]string{}
	name := func(a store.AccountRef) string {
		if n, ok := names[a]; ok {
			return n
		}
		n := a.ID
		if rec, err := s.Accounts.Store.AccountRecord(r.Context(), a); err == nil && rec.Handle != "" {
			n = rec.Handle
		}
		names[a] = n
		return n
	}
	for _, l := range ls {
		v := successorView{SuccessorLink: l, FromName: name(l.From), ToName: name(l.To)}
		if err := json.Unmarshal([]byte(l.Evidence), &v.Ev); err != nil {
			s.Log.Warn("successor evidence unreadable", "id", l.ID, "err", err)
		}
		out = append(out, v)
	}
	return out
}

// edgeView is a graph edge seen from one node.
type edgeView struct {
	account.Edge
	Other    string
	OtherURL string
	Out      bool // from the node to Other
}

// neighbours lists the edges of node id, heaviest first, with the rank of
// id.
func neighbours(nodes []account.Node, edges []account.Edge, id string) ([]edgeView, float64) {
	kinds := map[string]string{}
	rank := 0.0
	for _, n := range nodes {
		kinds[n.ID] = n.Kind
		if n.ID == id {
			rank = n.Rank
		}
	}
	var out []edgeView
	for _, e := range account.Neighbourhood(edges, id, 30) {
		v := edgeView{Edge: e, Out: e.From == id, Other: e.From}
		if v.Out {
			v.Other = e.To
		}
		v.OtherURL = nodeURL(v.Other, kinds[v.Other])
		out = append(out, v)
	}
	return out, rank
}

// canDecide reports whether the request's principal may change statuses
// and decide links, to show the forms only to those who may send them.
func canDecide(r *http.Request) bool {
	p, ok := auth.FromContext(r.Context())
	return ok && p.Require(auth.Decide) == nil
}

// accountPage is the data of an account page.
type accountPage struct {
	*page
	Rec          store.AccountRecord
	Statuses     []store.StatusChange
	Profiles     []store.ProfileVersion
	Links        []store.AccountLink
	Lineage      []store.AccountRef
	Successors   []successorView
	Predecessors []successorView
	Neighbours   []edgeView
	Rank         float64
	Posts        []post.Post
	Timeline     chart
	CanDecide    bool
	StatusList   []store.AccountStatus
}

func (p accountPage) AccountURL(a store.AccountRef) string { return accountURL(a) }

func refFromPath(r *http.Request) (store.AccountRef, error) {
	a := store.AccountRef{Platform: post.Platform(r.PathValue("platform")), ID: r.PathValue("id")}
	if a.Platform == "" || a.ID == "" {
		return a, fmt.Errorf("%w: an account needs a platform and an id", errBadParam)
	}
	return a, nil
}

// pathRef reads the account or channel of a page's path, answering the
// request with an error page when there is none.
func (s *server) pathRef(w http.ResponseWriter, r *http.Request) (store.AccountRef, bool) {
	a, err := refFromPath(r)
	if s.Accounts == nil {
		err = errNoAccounts
	}
	if err != nil {
		s.pageError(w, r, err)
		return a, false
	}
	return a, true
}

func (s *server) handleAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := s.pathRef(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var err error
	ap := accountPage{page: s.newPage(w, r), CanDecide: canDecide(r),
		StatusList: []store.AccountStatus{store.StatusActive, store.StatusDormant, store.StatusRemoved, store.StatusReferred}}
	st := s.Accounts.Store
	if ap.Rec, err = st.AccountRecord(ctx, a); err != nil {
		s.pageError(w, r, err)
		return
	}
	ap.Title = ap.T("account.title") + " " + isolate(a.ID)
	var links []store.SuccessorLink
	for _, load := range []func() error{
		func() (err error) { ap.Statuses, err = st.StatusHistory(ctx, a); return },
		func() (err error) { ap.Profiles, err = st.ProfileHistory(ctx, a); return },
		func() (err error) { ap.Links, err = st.LinksOf(ctx, a); return },
		func() (err error) { ap.Lineage, err = s.Accounts.Lineage(ctx, a); return },
		func() (err error) { links, err = st.LinksOfAccount(ctx, a); return },
		func() (err error) {
			ap.Posts, err = s.Store.Posts(ctx, store.Query{Platform: a.Platform, Author: a.ID, Limit: 1000})
			return
		},
		func() error {
			nodes, edges, err := s.Accounts.Graph(ctx)
			ap.Neighbours, ap.Rank = neighbours(nodes, edges, account.Key(a.Platform, a.ID))
			return err
		},
	} {
		if err := load(); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	for _, v := range s.viewSuccessors(r, links) {
		if v.From == a {
			ap.Successors = append(ap.Successors, v)
		} else {
			ap.Predecessors = append(ap.Predecessors, v)
		}
	}
	ap.Timeline = postTimeline(ap.page, ap.Posts, s.Now(), timelineDays)
	ap.Posts = ap.Posts[:min(len(ap.Posts), 20)]
	s.render(w, "account", "base", http.StatusOK, ap)
}

// postTimeline charts posts and flagged posts per day.
func postTimeline(p *page, ps []post.Post, now time.Time, days int) chart {
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	all, flagged := make([]int, days), make([]int, days)
	for i := range ps {
		d := int(ps[i].PostedAt.UTC().Sub(start) / (24 * time.Hour))
		if ps[i].PostedAt.Before(start) || d >= days {
			continue
		}
		all[d]++
		if ps[i].Decision.Violating {
			flagged[d]++
		}
	}
	return lineChart(start, []account.Series{{Name: p.T("chart.posts"), Values: all}, {Name: p.T("chart.flagged"), Values: flagged}})
}

// handleAccountStatus records an analyst's status change with the note
// as evidence; a removal or referral proposes successors.
func (s *server) handleAccountStatus(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.pageError(w, r, errNoAccounts)
		return
	}
	a := store.AccountRef{Platform: post.Platform(r.PostFormValue("platform")), ID: r.PostFormValue("id")}
	st := store.AccountStatus(r.PostFormValue("status"))
	evidence := strings.TrimSpace(r.PostFormValue("evidence"))
	switch {
	case a.Platform == "" || a.ID == "":
		s.pageError(w, r, fmt.Errorf("%w: an account needs a platform and an id", errBadParam))
		return
	case !st.Valid():
		s.pageError(w, r, fmt.Errorf("%w status=%q: want active, dormant, removed or referred", errBadParam, st))
		return
	case evidence == "":
		s.pageError(w, r, fmt.Errorf("%w: a status change needs its evidence", errBadParam))
		return
	}
	if _, err := s.Accounts.Store.AccountRecord(r.Context(), a); err != nil {
		s.pageError(w, r, err)
		return
	}
	who := actorOf(r)
	if _, err := s.Accounts.SetStatus(r.Context(), who, store.StatusChange{Account: a, Status: st, Source: "analyst", Evidence: evidence}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, accountURL(a), http.StatusSeeOther)
}

func actorOf(r *http.Request) account.Actor {
	p, _ := auth.FromContext(r.Context())
	return account.Actor{User: p.User, Source: r.RemoteAddr}
}

// successorsPage is the review queue of proposed successors.
type successorsPage struct {
	*page
	Links     []successorView
	Status    store.LinkStatus
	CanDecide bool
}

func (p successorsPage) AccountURL(a store.AccountRef) string { return accountURL(a) }

func (s *server) handleSuccessors(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.pageError(w, r, errNoAccounts)
		return
	}
	st := store.LinkStatus(r.URL.Query().Get("status"))
	if st == "" {
		st = store.LinkProposed
	}
	if st != store.LinkProposed && st != store.LinkConfirmed && st != store.LinkRejected {
		s.pageError(w, r, fmt.Errorf("%w status=%q: want proposed, confirmed or rejected", errBadParam, st))
		return
	}
	ls, err := s.Accounts.Store.SuccessorLinks(r.Context(), st, 200)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sp := successorsPage{page: s.newPage(w, r), Status: st, CanDecide: canDecide(r)}
	sp.Title = sp.T("successors.title")
	sp.Links = s.viewSuccessors(r, ls)
	s.render(w, "successors", "base", http.StatusOK, sp)
}

// handleSuccessorDecision confirms or rejects a proposed link.
func (s *server) handleSuccessorDecision(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.pageError(w, r, errNoAccounts)
		return
	}
	id, err := pathID(r, "link")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var confirm bool
	switch r.PostFormValue("decision") {
	case "confirm":
		confirm = true
	case "reject":
	default:
		s.pageError(w, r, fmt.Errorf("%w decision=%q: want confirm or reject", errBadParam, r.PostFormValue("decision")))
		return
	}
	if _, err := s.Accounts.Decide(r.Context(), actorOf(r), id, confirm); err != nil {
		if errors.Is(err, store.ErrDecided) {
			err = fmt.Errorf("%w: link %d was decided already", errBadParam, id)
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/successors", http.StatusSeeOther)
}

// channelPage is the data of a channel page.
type channelPage struct {
	*page
	Platform   post.Platform
	ID         string
	Name       string
	Posts      []post.Post
	Authors    []store.AccountRef
	Neighbours []edgeView
	Rank       float64
	Timeline   chart
}

func (p channelPage) AccountURL(a store.AccountRef) string { return accountURL(a) }

func (s *server) handleChannel(w http.ResponseWriter, r *http.Request) {
	a, ok := s.pathRef(w, r)
	if !ok {
		return
	}
	cp := channelPage{page: s.newPage(w, r), Platform: a.Platform, ID: a.ID, Name: a.ID}
	cp.Title = cp.T("channel.title") + " " + isolate(a.ID)
	ps, err := s.Store.Posts(r.Context(), store.Query{Platform: a.Platform, Channel: a.ID, Limit: 1000})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	nodes, edges, err := s.Accounts.Graph(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	cp.Neighbours, cp.Rank = neighbours(nodes, edges, account.Key(a.Platform, a.ID))
	seen := map[store.AccountRef]bool{}
	for i := range ps {
		if n := ps[i].Channel.Name; n != "" {
			cp.Name = n
		}
		if ref := (store.AccountRef{Platform: ps[i].Platform, ID: ps[i].Author.ID}); ref.ID != "" && !seen[ref] && len(cp.Authors) < 50 {
			seen[ref] = true
			cp.Authors = append(cp.Authors, ref)
		}
	}
	cp.Timeline = postTimeline(cp.page, ps, s.Now(), timelineDays)
	cp.Posts = ps[:min(len(ps), 20)]
	s.render(w, "channel", "base", http.StatusOK, cp)
}

// overviewPage is the data of the overview: growth, lifecycle, spikes,
// discovery and amplifiers.
type overviewPage struct {
	*page
	Counts     map[string]account.Counts
	Kinds      []string
	Flagged    chart
	Lifecycle  chart
	Labels     chart
	Spikes     []account.Spike
	Targets    []account.Target
	Amplifiers []account.Node
}

// NodeURL links a graph node.
func (p overviewPage) NodeURL(id, kind string) string { return nodeURL(id, kind) }

func (s *server) handleOverview(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.pageError(w, r, errNoAccounts)
		return
	}
	ctx := r.Context()
	op := overviewPage{page: s.newPage(w, r), Kinds: account.LifecycleKinds}
	op.Title = op.T("overview.title")
	now := s.Now()
	var err error
	if op.Counts, err = account.LifecycleCounts(ctx, s.Store, now); err != nil {
		s.pageError(w, r, err)
		return
	}
	g, err := account.ComputeGrowth(ctx, s.Accounts.Store, s.Store, now, overviewDays)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var platforms, labels []account.Series
	for _, se := range g.Flagged {
		switch {
		case strings.HasPrefix(se.Name, "platform:"):
			platforms = append(platforms, account.Series{Name: strings.TrimPrefix(se.Name, "platform:"), Values: se.Values})
		case strings.HasPrefix(se.Name, "label:"):
			l := post.Label(strings.TrimPrefix(se.Name, "label:"))
			labels = append(labels, account.Series{Name: op.LabelName(l), Values: se.Values})
		}
	}
	lifecycle := make([]account.Series, len(g.Lifecycle))
	for i, se := range g.Lifecycle {
		lifecycle[i] = account.Series{Name: op.T("lifecycle." + se.Name), Values: se.Values}
	}
	start := g.Days[0]
	op.Flagged, op.Labels, op.Lifecycle = lineChart(start, platforms), lineChart(start, labels), lineChart(start, lifecycle)
	op.Spikes = g.Spikes
	if op.Targets, err = account.Discover(ctx, s.Accounts.Store, now.AddDate(0, 0, -90), 20); err != nil {
		s.pageError(w, r, err)
		return
	}
	nodes, _, err := s.Accounts.Graph(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	op.Amplifiers = nodes[:min(len(nodes), 20)]
	s.render(w, "overview", "base", http.StatusOK, op)
}

// apiAccount answers an account with its histories, links and lineage.
func (s *server) apiAccount(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.apiError(w, errNoAccounts)
		return
	}
	a, err := refFromPath(r)
	if err != nil {
		s.apiError(w, err)
		return
	}
	ctx := r.Context()
	st := s.Accounts.Store
	var out struct {
		Account    store.AccountRecord    `json:"account"`
		Statuses   []store.StatusChange   `json:"statuses"`
		Profiles   []store.ProfileVersion `json:"profiles"`
		Links      []store.AccountLink    `json:"links"`
		Lineage    []store.AccountRef     `json:"lineage"`
		Successors []store.SuccessorLink  `json:"successor_links"`
	}
	for _, load := range []func() error{
		func() (err error) { out.Account, err = st.AccountRecord(ctx, a); return },
		func() (err error) { out.Statuses, err = st.StatusHistory(ctx, a); return },
		func() (err error) { out.Profiles, err = st.ProfileHistory(ctx, a); return },
		func() (err error) { out.Links, err = st.LinksOf(ctx, a); return },
		func() (err error) { out.Lineage, err = s.Accounts.Lineage(ctx, a); return },
		func() (err error) { out.Successors, err = st.LinksOfAccount(ctx, a); return },
	} {
		if err := load(); err != nil {
			s.apiError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// apiSuccessors lists successor links of a status (proposed by default).
func (s *server) apiSuccessors(w http.ResponseWriter, r *http.Request) {
	if s.Accounts == nil {
		s.apiError(w, errNoAccounts)
		return
	}
	st := store.LinkStatus(r.URL.Query().Get("status"))
	if st == "" {
		st = store.LinkProposed
	}
	ls, err := s.Accounts.Store.SuccessorLinks(r.Context(), st, 1000)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if ls == nil {
		ls = []store.SuccessorLink{}
	}
	writeJSON(w, http.StatusOK, ls)
}

// succRows is the data of the "succtable" template.
type succRows struct {
	P      *page
	Links  []successorView
	Decide bool
}

// SuccRows pairs successor links with the page for the "succtable"
// template; decide shows the confirm and reject buttons.
func (p *page) SuccRows(ls []successorView, decide bool) succRows { return succRows{p, ls, decide} }

// FromURL and ToURL link the accounts of a successor link.
func (v successorView) FromURL() string { return accountURL(v.From) }
func (v successorView) ToURL() string   { return accountURL(v.To) }

// Gap says how long after the removal the candidate was first seen, in
// days and hours; negative when it was seen before.
func (v successorView) Gap() string {
	g := v.Ev.Gap
	sign := ""
	if g < 0 {
		sign, g = "-", -g
	}
	return fmt.Sprintf("%s%dd %dh", sign, int(g.Hours())/24, int(g.Hours())%24)
}
