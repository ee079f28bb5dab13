package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs serve with c until the test ends and returns its URL.
func startServe(t *testing.T, c *Config) string {
	t.Helper()
	s, err := openSystem(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, func(u string) { urls <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
		s.close()
	})
	select {
	case u := <-urls:
		return u
	case err := <-done:
		done <- err
		t.Fatalf("serve: %v", err)
	}
	return ""
}

// runCmd runs a raqib command on data with stdin and returns its output.
func runCmd(t *testing.T, data string, stdin io.Reader, args ...string) (string, error) {
	t.Helper()
	name, c, err := Parse(args, env("RAQIB_DATA", data, "RAQIB_LOG_LEVEL", "error"), stdin, io.Discard, io.Discard)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	c.Stdout = &out
	err = Run(context.Background(), name, c)
	return out.String(), err
}

var printedToken = regexp.MustCompile(`token: (raqib_\S+)`)

// TestServe signs in through the login page of a running server: pages
// need a session, /metrics a token, /healthz nothing.
func TestServe(t *testing.T) {
	c := testConfig(t, "serve", "--addr", "127.0.0.1:0")
	const pw = "a long enough test password"
	if _, err := runCmd(t, c.Data, strings.NewReader(pw+"\n"), "user", "add", "amina", "--role", "analyst"); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, c.Data, nil, "token", "create", "prometheus", "--role", "admin")
	if err != nil {
		t.Fatal(err)
	}
	m := printedToken.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("token create printed no token:\n%s", out)
	}
	base := startServe(t, c)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		if h := req.Header.Get("Host"); h != "" {
			req.Host = h
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("cases"); code != 200 || !strings.Contains(body, `action="/login"`) || !strings.Contains(body, `value="/cases"`) {
		t.Fatalf("/cases before signing in: %d, want the login page\n%s", code, body)
	}
	if code, _ := get("api/posts"); code != http.StatusUnauthorized {
		t.Errorf("/api/posts before signing in: %d", code)
	}
	if code, _ := get("metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without a token: %d", code)
	}
	if code, body := get("metrics", "Authorization", "Bearer "+m[1]); code != 200 || !strings.Contains(body, "raqib_store_posts") {
		t.Errorf("/metrics with a token: %d", code)
	}
	resp, err := client.PostForm(base+"login", url.Values{"user": {"amina"}, "password": {pw}, "next": {"/cases"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/cases" || !strings.Contains(string(body), `dir="rtl"`) {
		t.Fatalf("after signing in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if code, _ := get("api/posts"); code != 200 {
		t.Errorf("/api/posts signed in: %d", code)
	}
	if code, _ := get("banks", "Host", "evil.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("Host evil.example: %d, want 421", code)
	}
	out, err = runCmd(t, c.Data, nil, "audit", "list", "--actor", "amina")
	if err != nil || !strings.Contains(out, "login") || !strings.Contains(out, "127.0.0.1") {
		t.Errorf("audit list --actor amina: %v\n%s", err, out)
	}
}

func TestServeRefusesNetwork(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0"} {
		c := testConfig(t, "serve", "--addr", addr)
		s, err := openSystem(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		err = s.serve(context.Background(), func(string) { t.Errorf("%s: served", addr) })
		s.close()
		if !errors.Is(err, ErrInsecureListen) || !strings.Contains(err.Error(), "--insecure-listen") || !strings.Contains(err.Error(), "--tls-cert") {
			t.Errorf("serve on %s: %v, want ErrInsecureListen saying how", addr, err)
		}
	}
	c := testConfig(t, "serve", "--addr", "0.0.0.0:0", "--insecure-listen")
	base := startServe(t, c)
	u, _ := url.Parse(base)
	_, port, _ := net.SplitHostPort(u.Host)
	resp, err := http.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("--insecure-listen: /healthz %d", resp.StatusCode)
	}
}

// TestServeTLS serves HTTPS with a certificate of the test's own: the
// session cookie is Secure and browsers are told to stay on HTTPS.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	c := testConfig(t, "serve", "--addr", "0.0.0.0:0", "--tls-cert", certFile, "--tls-key", keyFile)
	const pw = "a long enough test password"
	if _, err := runCmd(t, c.Data, strings.NewReader(pw), "user", "add", "omar", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, c)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("URL %s", base)
	}
	u, _ := url.Parse(base)
	_, port, _ := net.SplitHostPort(u.Host)
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.PostForm("https://127.0.0.1:"+port+"/login", url.Values{"user": {"omar"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var secure bool
	for _, ck := range resp.Cookies() {
		secure = secure || ck.Name == "raqib_session" && ck.Secure && ck.HttpOnly
	}
	if resp.StatusCode != http.StatusSeeOther || !secure || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("login over TLS: %d, cookies %v, HSTS %q", resp.StatusCode, resp.Cookies(), resp.Header.Get("Strict-Transport-Security"))
	}
	c2 := testConfig(t, "serve", "--addr", "127.0.0.1:0", "--tls-cert", keyFile, "--tls-key", keyFile)
	s, err := openSystem(context.Background(), c2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.serve(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Errorf("bad certificate file: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raqib test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := errors.Join(
		os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600),
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
