package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

// usersPage is the data of the user administration page.
type usersPage struct {
	*page
	Users []auth.User
	Roles []auth.Role
	// Added and Password are shown once, right after adding a user.
	Added, Password string
	Problem         string // why the last add failed
}

func (s *server) handleUsers(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, usersPage{})
}

func (s *server) renderUsers(w http.ResponseWriter, r *http.Request, status int, up usersPage) {
	if s.Users == nil {
		s.pageError(w, r, fmt.Errorf("users: %w", store.ErrNotFound))
		return
	}
	us, err := s.Users.ListUsers(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	up.page, up.Users, up.Roles = s.newPage(w, r), us, auth.Roles
	up.Title = up.T("users.title")
	s.render(w, "users", "base", status, up)
}

// handleUserAdd adds a user with a generated password, shown once on the
// page it answers with, never in a URL or a log.
func (s *server) handleUserAdd(w http.ResponseWriter, r *http.Request) {
	if s.Users == nil {
		s.pageError(w, r, fmt.Errorf("users: %w", store.ErrNotFound))
		return
	}
	name := r.PostFormValue("name")
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil {
		err = auth.ValidName(name)
	}
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, usersPage{Problem: err.Error()})
		return
	}
	pw := auth.NewPassword()
	hash, err := auth.HashPassword(pw, s.Argon2)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.Now().UTC()
	u := auth.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: now, Changed: now}
	if err := s.Users.AddUser(r.Context(), u); errors.Is(err, store.ErrNameTaken) {
		s.renderUsers(w, r, http.StatusConflict, usersPage{Problem: err.Error()})
		return
	} else if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.record(r, "user.add", name, nil, u); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderUsers(w, r, http.StatusOK, usersPage{Added: name, Password: pw})
}

// handleUserToggle disables or enables a user; disabling ends their
// sessions.
func (s *server) handleUserToggle(w http.ResponseWriter, r *http.Request) {
	on, err := formBool(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if p, _ := auth.FromContext(r.Context()); p.User == name && !on && !p.Token {
		s.pageError(w, r, fmt.Errorf("%w: you cannot disable yourself", errBadParam))
		return
	}
	if s.Users == nil {
		s.pageError(w, r, fmt.Errorf("users: %w", store.ErrNotFound))
		return
	}
	before, after, _, err := store.SetUserDisabled(r.Context(), s.Users, name, !on, s.Now().UTC())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.record(r, enableAction("user", on), name, before, after); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

// RoleName is a role in the page's language.
func (p *page) RoleName(r auth.Role) string { return p.T("role." + string(r)) }
