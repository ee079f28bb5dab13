package web

import (
	"fmt"
	"net/http"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/auth"
)

// record appends an audit entry of what the request's principal did:
// action on subject, with the state before and after (marshalled to JSON;
// nil leaves it empty). A machine is written as "token:NAME", so that it
// never reads as a person of the same name.
func (s *server) record(r *http.Request, action, subject string, before, after any) error {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return fmt.Errorf("audit %s %s: no principal", action, subject)
	}
	actor := p.User
	if p.Token {
		actor = "token:" + p.User
	}
	return s.recordAs(r, actor, action, subject, before, after)
}

// recordAs appends an audit entry in actor's name, from the request's
// client address.
func (s *server) recordAs(r *http.Request, actor, action, subject string, before, after any) error {
	e := audit.Entry{Actor: actor, Source: s.clientIP(r), Action: action, Subject: printable(subject), At: s.Now()}
	var err error
	if e.Before, err = audit.Marshal(before); err == nil {
		e.After, err = audit.Marshal(after)
	}
	if err == nil {
		_, err = s.Store.Append(r.Context(), e)
	}
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, subject, err)
	}
	return nil
}
