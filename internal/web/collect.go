package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Hooks receives signed pushes to webhook sources (collect.Collector).
type Hooks interface {
	Receive(ctx context.Context, id string, body []byte, signature string) (collect.Result, error)
}

// maxHookBody bounds one webhook push.
const maxHookBody = 32 << 20

var errNoCollection = errors.New("this store keeps no watched sources")

// sourcesPage is the data of the collection sources page: the watched
// sources with their health, the proposed ones, and every import.
type sourcesPage struct {
	*page
	Sources   []post.Source
	Watched   []post.Source
	Proposals []store.Proposal
	Kinds     []string
	// Manage says the principal may add, pause and remove sources.
	Manage bool
	// Added is the source the form just added, Problem what was wrong.
	Added, Problem string
}

func (s *server) handleSources(w http.ResponseWriter, r *http.Request) {
	s.renderSources(w, r, http.StatusOK, r.URL.Query().Get("added"), "")
}

func (s *server) renderSources(w http.ResponseWriter, r *http.Request, status int, added, problem string) {
	ctx := r.Context()
	srcs, err := s.Store.Sources(ctx, maxPageSize)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sp := sourcesPage{page: s.newPage(w, r), Sources: srcs, Kinds: collect.Kinds, Added: added, Problem: problem}
	if p, ok := auth.FromContext(ctx); ok {
		sp.Manage = p.Require(auth.ManageSources) == nil
	}
	if s.Collection != nil {
		if sp.Watched, err = s.Collection.Watched(ctx, s.Now()); err == nil {
			sp.Proposals, err = s.Collection.Proposals(ctx, maxPageSize)
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	sp.Title = sp.T("sources.title")
	s.render(w, "sources", "base", status, sp)
}

// handleSourceAdd adds a watched source from the form; the collectors
// read the list every few seconds, so its posts appear without a restart.
func (s *server) handleSourceAdd(w http.ResponseWriter, r *http.Request) {
	if s.Collection == nil {
		s.pageError(w, r, errNoCollection)
		return
	}
	pr, _ := auth.FromContext(r.Context())
	every := time.Duration(0)
	if v := r.PostFormValue("every"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.renderSources(w, r, http.StatusBadRequest, "", fmt.Sprintf("every %q: %v", v, err))
			return
		}
		every = d
	}
	src, err := collect.NewSource(r.PostFormValue("kind"), r.PostFormValue("location"), collect.Options{
		Every: every, TokenEnv: r.PostFormValue("token_env"), Selector: r.PostFormValue("selector"), AddedBy: pr.User, Now: s.Now(),
	})
	if err != nil {
		s.renderSources(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	if err := s.watch(r, src, "source.add"); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sources?added="+src.ID, http.StatusSeeOther)
}

// watch stores src and audits it; TokenEnv is the variable's name, never
// its value.
func (s *server) watch(r *http.Request, src post.Source, action string) error {
	if err := s.Collection.Watch(r.Context(), src); err != nil {
		return err
	}
	return s.auditSource(r, action, src.ID, nil, src.Watch)
}

// auditSource appends an entry for a change to a source by the request's
// principal.
func (s *server) auditSource(r *http.Request, action, id string, before, after any) error {
	pr, _ := auth.FromContext(r.Context())
	e := audit.Entry{Actor: pr.User, Source: "web:" + r.RemoteAddr, Action: action, Subject: id}
	var err error
	for _, f := range []struct {
		v   any
		dst *json.RawMessage
	}{{before, &e.Before}, {after, &e.After}} {
		if f.v == nil || err != nil {
			continue
		}
		*f.dst, err = json.Marshal(f.v)
	}
	if err == nil {
		_, err = s.Store.Append(r.Context(), e)
	}
	if err != nil {
		return fmt.Errorf("%s %s was done but not recorded in the audit trail: %w", action, id, err)
	}
	return nil
}

// handleSourcePaused pauses (paused=1) or resumes (paused=0) a source.
func (s *server) handleSourcePaused(w http.ResponseWriter, r *http.Request) {
	if s.Collection == nil {
		s.pageError(w, r, errNoCollection)
		return
	}
	var paused bool
	switch v := r.PostFormValue("paused"); v {
	case "1":
		paused = true
	case "0":
	default:
		s.pageError(w, r, fmt.Errorf("%w paused=%q: want 1 or 0", errBadParam, v))
		return
	}
	id := r.PathValue("id")
	if err := s.Collection.SetPaused(r.Context(), id, paused); err != nil {
		s.pageError(w, r, err)
		return
	}
	action := map[bool]string{true: "source.pause", false: "source.resume"}[paused]
	if err := s.auditSource(r, action, id, map[string]bool{"paused": !paused}, map[string]bool{"paused": paused}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sources", http.StatusSeeOther)
}

// handleSourceRemove stops watching a source; its posts stay.
func (s *server) handleSourceRemove(w http.ResponseWriter, r *http.Request) {
	if s.Collection == nil {
		s.pageError(w, r, errNoCollection)
		return
	}
	id := r.PathValue("id")
	before, err := s.Collection.WatchedSource(r.Context(), id, s.Now())
	if err == nil {
		err = s.Collection.Unwatch(r.Context(), id)
	}
	if err == nil {
		err = s.auditSource(r, "source.remove", id, before.Watch, nil)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sources", http.StatusSeeOther)
}

// handleProposalAccept watches a proposed source.
func (s *server) handleProposalAccept(w http.ResponseWriter, r *http.Request) {
	if s.Collection == nil {
		s.pageError(w, r, errNoCollection)
		return
	}
	id := r.PathValue("id")
	props, err := s.Collection.Proposals(r.Context(), 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	i := slices.IndexFunc(props, func(p store.Proposal) bool { return p.ID == id })
	if i < 0 {
		s.pageError(w, r, fmt.Errorf("proposed source %s: %w", id, store.ErrNotFound))
		return
	}
	pr, _ := auth.FromContext(r.Context())
	src, err := collect.NewSource(props[i].Kind, props[i].Location, collect.Options{TokenEnv: r.PostFormValue("token_env"), AddedBy: pr.User, Now: s.Now()})
	if err != nil {
		s.renderSources(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	if err := s.watch(r, src, "source.accept"); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sources?added="+src.ID, http.StatusSeeOther)
}

// handleProposalDrop forgets a proposed source.
func (s *server) handleProposalDrop(w http.ResponseWriter, r *http.Request) {
	if s.Collection == nil {
		s.pageError(w, r, errNoCollection)
		return
	}
	id := r.PathValue("id")
	if err := s.Collection.DropProposal(r.Context(), id); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.auditSource(r, "source.proposal.drop", id, nil, nil); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sources", http.StatusSeeOther)
}

// handleHook takes a push to a webhook source. Its guard is the HMAC
// signature of the body under the source's own secret (there is no
// session: the caller is a partner's or platform's server); an unsigned,
// wrongly signed or unknown hook gets 401 without telling which.
func (s *server) handleHook(w http.ResponseWriter, r *http.Request) {
	if s.Hooks == nil {
		http.Error(w, "no webhook sources here", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	res, err := s.Hooks.Receive(r.Context(), r.PathValue("source"), body, r.Header.Get(collect.SignatureHeader))
	switch {
	case errors.Is(err, collect.ErrSignature):
		s.Log.Info("refused", "method", r.Method, "path", r.URL.Path, "status", http.StatusUnauthorized, "err", err)
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	case errors.Is(err, collect.ErrPaused):
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case err != nil:
		s.Log.Warn("webhook", "path", r.URL.Path, "err", err)
		http.Error(w, "push not stored: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"posts": res.Posts, "rejected": res.Rejected, "counts": res.Counts})
}
