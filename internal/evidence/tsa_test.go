package evidence

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/fetch"
)

// localTSA is a time-stamping authority on 127.0.0.1 that answers with
// OpenSSL's `ts -reply`, so that raqib's client and verifier are checked
// against an implementation that is not raqib's.
type localTSA struct {
	URL   string
	Roots *x509.CertPool
}

func startTSA(t *testing.T) localTSA {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: no local time-stamping authority (apt-get install openssl)")
	}
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raqib test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tsaDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "raqib test TSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
		// RFC 3161 wants the time-stamping usage alone and critical, which
		// ExtKeyUsage cannot say.
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: ekuTimeStamping}},
	}, ca, &tsaKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(tsaKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPath, keyPath := write("tsa.pem", "CERTIFICATE", tsaDER), write("tsa.key", "PRIVATE KEY", keyDER)
	cnf := filepath.Join(dir, "tsa.cnf")
	os.WriteFile(cnf, []byte(`[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = `+dir+`
serial = $dir/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
`), 0o600)
	os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o600)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ := io.ReadAll(r.Body)
		qf, rf := filepath.Join(dir, "q.tsq"), filepath.Join(dir, "r.tsr")
		os.WriteFile(qf, q, 0o600)
		out, err := exec.Command("openssl", "ts", "-reply", "-config", cnf, "-queryfile", qf,
			"-signer", certPath, "-inkey", keyPath, "-out", rf).CombinedOutput()
		if err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		b, _ := os.ReadFile(rf)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return localTSA{URL: srv.URL, Roots: roots}
}

// ekuTimeStamping is the DER of ExtKeyUsageSyntax with id-kp-timeStamping.
var ekuTimeStamping, _ = asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})

var allowLoopback = fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})

func TestTimestamp(t *testing.T) {
	local := startTSA(t)
	digest := sha256.Sum256([]byte("manifest"))
	tsa := &TSA{URL: local.URL, Fetch: allowLoopback, Roots: local.Roots}
	token, ts, err := tsa.Stamp(context.Background(), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Trusted || time.Since(ts.Time) > time.Minute || ts.TSA == "" {
		t.Fatalf("timestamp %+v", ts)
	}
	t.Run("verifies again", func(t *testing.T) {
		if _, err := VerifyTimestamp(token, digest[:], local.Roots); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("other digest", func(t *testing.T) {
		other := sha256.Sum256([]byte("manifest!"))
		if _, err := VerifyTimestamp(token, other[:], local.Roots); !errors.Is(err, ErrTimestamp) {
			t.Fatalf("VerifyTimestamp(other digest) = %v", err)
		}
	})
	t.Run("untrusted root", func(t *testing.T) {
		if _, err := VerifyTimestamp(token, digest[:], x509.NewCertPool()); !errors.Is(err, ErrTimestamp) {
			t.Fatalf("VerifyTimestamp(no roots) = %v", err)
		}
	})
	t.Run("every flipped byte", func(t *testing.T) {
		// A byte flipped anywhere must fail parsing or verification, or
		// land where it changes nothing signed (unsigned certificate
		// fields are still caught by the chain check).
		accepted := 0
		for i := range token {
			bad := bytes.Clone(token)
			bad[i] ^= 0x01
			if _, err := VerifyTimestamp(bad, digest[:], local.Roots); err == nil {
				accepted++
				t.Logf("offset %d: % x", i, token[max(0, i-4):min(len(token), i+4)])
			}
		}
		if accepted > 0 {
			t.Fatalf("%d of %d single-bit changes still verify", accepted, len(token))
		}
	})
	t.Run("refused by the authority", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		_, _, err := (&TSA{URL: srv.URL, Fetch: allowLoopback}).Stamp(context.Background(), digest[:])
		if !errors.Is(err, ErrTimestamp) {
			t.Fatalf("Stamp = %v", err)
		}
	})
}

func FuzzVerifyTimestamp(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Add([]byte{})
	if b, err := os.ReadFile("testdata/token.tsr"); err == nil {
		f.Add(b)
	}
	digest := sha256.Sum256([]byte("manifest"))
	f.Fuzz(func(t *testing.T, token []byte) {
		VerifyTimestamp(token, digest[:], nil)
	})
}
