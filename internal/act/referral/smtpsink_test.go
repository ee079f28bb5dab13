package referral

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// smtpSink is a minimal SMTP server on 127.0.0.1 that keeps every message
// it accepts. The first len(refuse) transactions are answered at DATA's
// end with the codes in refuse (451 to retry, 550 to give up).
type smtpSink struct {
	ln     net.Listener
	mu     sync.Mutex
	msgs   []sunkMail
	refuse []int
	tries  int
}

type sunkMail struct {
	From    string
	To      []string
	Subject string
	Body    string
}

func startSMTPSink(t *testing.T, refuse ...int) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, refuse: refuse}
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

func (s *smtpSink) addr() string { return s.ln.Addr().String() }

func (s *smtpSink) messages() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.msgs...)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(f string, a ...any) { fmt.Fprintf(c, f+"\r\n", a...) }
	say("220 sink ESMTP")
	var m sunkMail
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
			say("250 8BITMIME")
		case "MAIL":
			m = sunkMail{From: addrOf(line)}
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
