// Package referraltest has the test helpers of referrals: an SMTP sink on
// 127.0.0.1 that keeps the messages it accepts.
package referraltest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPSink is a minimal SMTP server on 127.0.0.1 that keeps every message
// it accepts. The first len(refuse) transactions are answered at DATA's
// end with the codes in refuse (451 to retry, 550 to give up).
type SMTPSink struct {
	ln     net.Listener
	tls    *tls.Config // offers STARTTLS and AUTH PLAIN when set
	mu     sync.Mutex
	msgs   []Mail
	refuse []int
	tries  int
}

// Mail is one accepted message, its body decoded.
type Mail struct {
	From    string
	To      []string
	Subject string
	Body    string
	TLS     bool   // the message came over TLS
	Auth    string // the AUTH PLAIN credentials, "user:password"
}

func StartSMTPSink(t *testing.T, tc *tls.Config, refuse ...int) *SMTPSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPSink{ln: ln, tls: tc, refuse: refuse}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// StartTLSSink is a sink that offers STARTTLS with a certificate for
// 127.0.0.1 of a CA it writes to a PEM file, whose path it returns.
func StartTLSSink(t *testing.T) (*SMTPSink, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return StartSMTPSink(t, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}), ca
}

// Addr is the sink's host:port.
func (s *SMTPSink) Addr() string { return s.ln.Addr().String() }

// Messages returns the messages accepted so far.
func (s *SMTPSink) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

func (s *SMTPSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(f string, a ...any) { fmt.Fprintf(c, f+"\r\n", a...) }
	say("220 sink ESMTP")
	var m Mail
	secure, auth := false, ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-sink")
			if s.tls != nil && !secure {
				say("250-STARTTLS")
			}
			if secure {
				say("250-AUTH PLAIN")
			}
			say("250 8BITMIME")
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
		case "AUTH":
			f := strings.Fields(line)
			b, err := base64.StdEncoding.DecodeString(f[len(f)-1])
			if err != nil || !secure {
				say("535 no")
				continue
			}
			parts := strings.Split(string(b), "\x00")
			auth = parts[1] + ":" + parts[2]
			say("235 ok")
		case "MAIL":
			m = Mail{From: addrOf(line), TLS: secure, Auth: auth}
			say("250 ok")
		case "RCPT":
			m.To = append(m.To, addrOf(line))
			say("250 ok")
		case "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			s.tries++
			code := 0
			if s.tries <= len(s.refuse) {
				code = s.refuse[s.tries-1]
			}
			if code == 0 {
				msg, err := mail.ReadMessage(strings.NewReader(data.String()))
				if err == nil {
					m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
					b, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
					m.Body = string(b)
				}
				s.msgs = append(s.msgs, m)
			}
			s.mu.Unlock()
			if code != 0 {
				say("%d refused by the test", code)
			} else {
				say("250 queued")
			}
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func addrOf(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}
