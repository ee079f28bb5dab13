package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// hostAllowed reports whether the request's Host names this server. A
// browser sends the name it resolved, so a page of evil.example whose DNS
// was pointed at 127.0.0.1 (DNS rebinding) arrives as evil.example and is
// refused before it reaches a handler. An empty allow-list allows any.
func (s *server) hostAllowed(r *http.Request) bool {
	if len(s.hosts) == 0 {
		return true
	}
	return s.hosts[hostOnly(r.Host)]
}

// hostOnly lower-cases a Host header or address and drops its port and
// the brackets of an IPv6 address.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

// hostSet is the allow-list as a set of hostOnly names.
func hostSet(hosts []string) map[string]bool {
	if len(hosts) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, h := range hosts {
		set[hostOnly(h)] = true
	}
	return set
}

// remoteIP is the address of the peer that sent r.
func remoteIP(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap(), err == nil
	}
	return ap.Addr().Unmap(), true
}

func (s *server) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is where a request comes from, for audit entries and login
// limits: the peer's address, or, when the peer is a trusted proxy, the
// nearest address in X-Forwarded-For that is not one. Only trusted proxies
// are believed, else anyone could choose the address they are counted
// under.
func (s *server) clientIP(r *http.Request) string {
	a, ok := remoteIP(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trusted(a) {
		return a.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = h.Unmap()
		if !s.trusted(a) {
			break
		}
	}
	return a.String()
}

// secure reports whether the browser reached us over HTTPS: directly, or
// through a trusted proxy that says so.
func (s *server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	a, ok := remoteIP(r)
	return ok && s.trusted(a) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
