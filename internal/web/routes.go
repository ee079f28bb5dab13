package web

import (
	"errors"
	"io/fs"
	"net/http"

	"github.com/raqib-project/raqib/internal/auth"
)

// route is one endpoint and the one permission it needs. Every endpoint is
// listed in routes, so that TestEveryRouteGuarded finds a new one without a
// check.
type route struct {
	pattern string
	perm    auth.Permission
	handler http.Handler
}

// routes lists every endpoint. A feature adds its lines here and its
// handlers in its own file.
func (s *server) routes() []route {
	static, _ := fs.Sub(staticFS, "static")
	return []route{
		{"GET /static/", auth.Open, http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static)))},
		{"GET /healthz", auth.Open, http.HandlerFunc(s.handleHealth)},
		{"GET /login", auth.Open, http.HandlerFunc(s.handleLoginPage)},
		{"POST /login", auth.Open, http.HandlerFunc(s.handleLogin)},
		{"POST /logout", auth.Read, http.HandlerFunc(s.handleLogout)},
		{"GET /audit", auth.ReadAudit, http.HandlerFunc(s.handleAudit)},
		{"GET /users", auth.ManageUsers, http.HandlerFunc(s.handleUsers)},
		{"POST /users", auth.ManageUsers, http.HandlerFunc(s.handleUserAdd)},
		{"POST /users/{name}/enabled", auth.ManageUsers, http.HandlerFunc(s.handleUserToggle)},

		{"GET /{$}", auth.Read, http.HandlerFunc(s.handleList)},
		{"GET /posts/{key...}", auth.Read, http.HandlerFunc(s.handlePost)},
		{"GET /raw/{key...}", auth.Read, http.HandlerFunc(s.handleRaw)},
		{"GET /cases", auth.Read, http.HandlerFunc(s.handleQueue)},
		{"GET /cases/bulk", auth.Read, http.HandlerFunc(s.handleBulk)},
		{"POST /cases/bulk", auth.Decide, http.HandlerFunc(s.handleBulkAction)},
		{"GET /cases/{id}", auth.Read, http.HandlerFunc(s.handleCase)},
		{"POST /cases/{id}/approve", auth.Approve, http.HandlerFunc(s.handleAction)},
		{"POST /cases/{id}/{action}", auth.Decide, http.HandlerFunc(s.handleAction)},
		{"GET /precision", auth.Read, http.HandlerFunc(s.handlePrecision)},
		{"GET /sources", auth.Read, http.HandlerFunc(s.handleSources)},
		{"POST /sources", auth.ManageSources, http.HandlerFunc(s.handleSourceAdd)},
		{"POST /sources/{id}/paused", auth.ManageSources, http.HandlerFunc(s.handleSourcePaused)},
		{"POST /sources/{id}/remove", auth.ManageSources, http.HandlerFunc(s.handleSourceRemove)},
		{"POST /proposals/{id}/accept", auth.ManageSources, http.HandlerFunc(s.handleProposalAccept)},
		{"POST /proposals/{id}/drop", auth.ManageSources, http.HandlerFunc(s.handleProposalDrop)},
		// Open to sessions, guarded by the HMAC signature of each push
		// under its source's own secret (handleHook): the caller is a
		// partner's server, not a user.
		{"POST /hooks/{source}", auth.Open, http.HandlerFunc(s.handleHook)},
		{"GET /banks", auth.Read, http.HandlerFunc(s.handleBanks)},
		{"GET /banks/{name}", auth.Read, http.HandlerFunc(s.handleBank)},
		{"POST /banks/{name}/enabled", auth.ManageBanks, http.HandlerFunc(s.handleBankToggle)},
		{"POST /banks/{name}/entries/{id}/enabled", auth.ManageBanks, http.HandlerFunc(s.handleEntryToggle)},
		{"GET /media/{sha256}", auth.Read, http.HandlerFunc(s.handleMedia)},
		{"GET /cases/{id}/evidence", auth.Read, http.HandlerFunc(s.handleEvidence)},
		{"POST /cases/{id}/evidence", auth.Decide, http.HandlerFunc(s.handleEvidenceCapture)},
		{"GET /cases/{id}/evidence.zip", auth.Read, http.HandlerFunc(s.handleEvidenceExport)},
		{"GET /removal", auth.Read, http.HandlerFunc(s.handleRemoval)},
		{"GET /referrals", auth.Read, http.HandlerFunc(s.handleReferrals)},
		{"GET /referrals/bundle.csv", auth.Read, http.HandlerFunc(s.handleReferralBundle)},
		{"GET /referrals/{id}", auth.Read, http.HandlerFunc(s.handleReferral)},
		{"POST /cases/{id}/refer", auth.Decide, http.HandlerFunc(s.handleRefer)},
		{"POST /referrals/{id}/approve", auth.Approve, http.HandlerFunc(s.handleReferralApprove)},
		{"POST /referrals/{id}/submit", auth.Decide, http.HandlerFunc(s.handleReferralSubmit)},
		{"POST /referrals/{id}/reply", auth.Decide, http.HandlerFunc(s.handleReferralReply)},
		{"GET /overview", auth.Read, http.HandlerFunc(s.handleOverview)},
		{"GET /accounts/{platform}/{id...}", auth.Read, http.HandlerFunc(s.handleAccount)},
		{"POST /accounts/status", auth.Decide, http.HandlerFunc(s.handleAccountStatus)},
		{"GET /channels/{platform}/{id...}", auth.Read, http.HandlerFunc(s.handleChannel)},
		{"GET /successors", auth.Read, http.HandlerFunc(s.handleSuccessors)},
		{"POST /successors/{id}/decision", auth.Decide, http.HandlerFunc(s.handleSuccessorDecision)},

		{"GET /api/posts", auth.Read, http.HandlerFunc(s.apiPosts)},
		{"GET /api/posts/{key...}", auth.Read, http.HandlerFunc(s.apiPost)},
		{"GET /api/cases", auth.Read, http.HandlerFunc(s.apiCases)},
		{"GET /api/queue", auth.Read, http.HandlerFunc(s.apiQueue)},
		{"GET /api/cases/{id}", auth.Read, http.HandlerFunc(s.apiCase)},
		{"POST /api/cases/bulk", auth.Decide, http.HandlerFunc(s.apiBulk)},
		{"POST /api/cases/{id}/approve", auth.Approve, http.HandlerFunc(s.apiAction)},
		{"POST /api/cases/{id}/{action}", auth.Decide, http.HandlerFunc(s.apiAction)},
		{"GET /api/precision", auth.Read, http.HandlerFunc(s.apiPrecision)},
		{"GET /api/stats", auth.Read, http.HandlerFunc(s.apiStats)},
		{"GET /api/removal", auth.Read, http.HandlerFunc(s.apiRemoval)},
		{"GET /api/accounts/{platform}/{id...}", auth.Read, http.HandlerFunc(s.apiAccount)},
		{"GET /api/successors", auth.Read, http.HandlerFunc(s.apiSuccessors)},
		{"GET /api/sources", auth.Read, http.HandlerFunc(s.apiSources)},
		{"GET /api/banks", auth.Read, http.HandlerFunc(s.apiBanks)},
		{"GET /api/banks/{name}", auth.Read, http.HandlerFunc(s.apiBank)},
		{"POST /api/banks/{name}/enabled", auth.ManageBanks, http.HandlerFunc(s.apiBankEnabled)},
		{"POST /api/entries/{id}/enabled", auth.ManageBanks, http.HandlerFunc(s.apiEntryEnabled)},
		{"GET /metrics", s.metricsPerm(), http.HandlerFunc(s.handleMetrics)},
	}
}

// guard serves h only to a principal whose role has perm, with the
// principal in the request's context; Open routes are served to anyone.
func (s *server) guard(perm auth.Permission, h http.Handler) http.Handler {
	if perm == auth.Open {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		err := auth.ErrUnauthenticated
		if s.Authenticate != nil {
			p, err = s.Authenticate(w, r)
		}
		if err == nil {
			err = p.Require(perm)
		}
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// refuse answers a request that guard turned away: 401 for no principal,
// 403 for a role without the permission. The reason is the sentinel's
// text, never the credential.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusForbidden
	if errors.Is(err, auth.ErrUnauthenticated) {
		status = http.StatusUnauthorized
		if s.Unauthenticated != nil {
			s.Unauthenticated.ServeHTTP(w, r)
			return
		}
	}
	s.Log.Info("refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	http.Error(w, http.StatusText(status), status)
}

// metricsPerm is what /metrics needs: a token (or user) with Metrics,
// or nothing with MetricsOpen.
func (s *server) metricsPerm() auth.Permission {
	if s.MetricsOpen {
		return auth.Open
	}
	return auth.Metrics
}

func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	s.Metrics.ServeHTTP(w, r)
}
