package referral

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/store"
)

// channel sends a batch of referrals to a target.
type channel interface {
	send(ctx context.Context, c *Config, t *Target, rs []store.Referral) (result, error)
}

// result is what a channel learnt from a send.
type result struct {
	// manual: the batch waits for an analyst to submit the platform's form.
	manual  bool
	ticket  string           // the platform's id of the whole batch
	tickets map[int64]string // the platform's id of each referral
	reply   string           // what the platform said, kept as a reply
	ref     string           // our id of the message (email Message-ID), for the audit trail
}

// ticketOf is the ticket the platform gave referral id.
func (r result) ticketOf(id int64) string {
	if t := r.tickets[id]; t != "" {
		return t
	}
	return r.ticket
}

// TempError is a failure worth retrying: the target was unreachable, busy
// (429) or failing (5xx, SMTP 4xx). After is the delay it asked for, 0
// when it named none.
type TempError struct {
	After time.Duration
	Err   error
}

func (e *TempError) Error() string { return e.Err.Error() }
func (e *TempError) Unwrap() error { return e.Err }

// maxRetryAfter bounds the delay a target may ask for.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header, seconds or an HTTP date, as a
// delay from now; 0 when absent or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(min(n, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// bundleSender leaves the batch for an analyst to submit by hand.
type bundleSender struct{}

func (bundleSender) send(context.Context, *Config, *Target, []store.Referral) (result, error) {
	return result{manual: true}, nil
}

// webhookSender posts a batch as JSON.
type webhookSender struct {
	ch       *WebhookChannel
	reporter Reporter
	http     Doer
}

// maxReply bounds how much of a platform's answer is read.
const maxReply = 1 << 20

// webhookBatch is the JSON a webhook receives.
type webhookBatch struct {
	Reporter  Reporter      `json:"reporter"`
	Referrals []payloadItem `json:"referrals"`
}

func (w *webhookSender) send(ctx context.Context, c *Config, t *Target, rs []store.Referral) (result, error) {
	b := webhookBatch{Reporter: w.reporter}
	for _, r := range rs {
		b.Referrals = append(b.Referrals, c.payloadItem(t, r))
	}
	body, err := json.Marshal(b)
	if err != nil {
		return result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.ch.URL, bytes.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if w.ch.TokenEnv != "" {
		req.Header.Set("Authorization", "Bearer "+os.Getenv(w.ch.TokenEnv))
	}
	resp, err := w.http.Do(req)
	if errors.Is(err, fetch.ErrBlocked) || errors.Is(err, fetch.ErrScheme) || errors.Is(err, fetch.ErrRedirects) {
		// The configuration points where raqib may not go: retrying will
		// not help.
		return result{}, fmt.Errorf("post to %s: %w", t.Name, err)
	}
	if err != nil {
		return result{}, &TempError{Err: fmt.Errorf("post to %s: %w", t.Name, err)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return result{}, &TempError{Err: fmt.Errorf("read answer of %s: %w", t.Name, err)}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return result{}, &TempError{After: RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			Err: fmt.Errorf("%s answered %s", t.Name, resp.Status)}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return result{}, fmt.Errorf("%s answered %s: %s", t.Name, resp.Status, snippet(answer))
	}
	rep, err := ParseWebhookReply(answer)
	if err != nil {
		// The platform took the batch: it is sent, without tickets.
		return result{reply: "unreadable answer: " + snippet(answer)}, nil
	}
	res := result{ticket: rep.Ticket, tickets: map[int64]string{}, reply: rep.Message}
	for _, tk := range rep.Tickets {
		res.tickets[tk.ID] = tk.Ticket
	}
	return res, nil
}

// WebhookReply is what a platform may answer a webhook with: a ticket for
// the batch, one per referral (by the id raqib sent), and a message.
type WebhookReply struct {
	Ticket  string `json:"ticket,omitempty"`
	Tickets []struct {
		ID     int64  `json:"id"`
		Ticket string `json:"ticket"`
	} `json:"tickets,omitempty"`
	Message string `json:"message,omitempty"`
}

// ParseWebhookReply reads a platform's answer; an empty answer is an
// empty reply.
func ParseWebhookReply(b []byte) (WebhookReply, error) {
	var r WebhookReply
	if len(bytes.TrimSpace(b)) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return WebhookReply{}, fmt.Errorf("webhook answer: %w", err)
	}
	r.Ticket = clip(r.Ticket, 200)
	r.Message = clip(r.Message, 4000)
	for i := range r.Tickets {
		r.Tickets[i].Ticket = clip(r.Tickets[i].Ticket, 200)
	}
	return r, nil
}

// clip cuts s to at most n bytes, dropping a rune cut in two.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func snippet(b []byte) string { return clip(strings.TrimSpace(string(b)), 300) }

// emailSender sends a batch as one email.
type emailSender struct {
	ch       *EmailChannel
	reporter Reporter
	now      func() time.Time
	roots    *x509.CertPool // nil: the system's
}

func newEmailSender(ch *EmailChannel, reporter Reporter, now func() time.Time) (*emailSender, error) {
	e := &emailSender{ch: ch, reporter: reporter, now: now}
	if ch.CAFile == "" {
		return e, nil
	}
	pem, err := os.ReadFile(ch.CAFile)
	if err != nil {
		return nil, fmt.Errorf("email.ca_file: %w", err)
	}
	e.roots = x509.NewCertPool()
	if !e.roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("email.ca_file %s: no PEM certificate", ch.CAFile)
	}
	return e, nil
}

func (e *emailSender) send(ctx context.Context, c *Config, t *Target, rs []store.Referral) (result, error) {
	subject, body := c.Message(t, rs)
	id, msg := e.message(subject, body)
	if err := e.deliver(ctx, msg); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 || errors.Is(err, errNoSTARTTLS) {
			return result{}, fmt.Errorf("mail to %s: %w", t.Name, err)
		}
		return result{}, &TempError{Err: fmt.Errorf("mail to %s: %w", t.Name, err)}
	}
	return result{ref: id}, nil
}

// message builds the email: UTF-8 text in base64, the subject encoded
// per RFC 2047.
func (e *emailSender) message(subject, body string) (id string, msg []byte) {
	var rnd [12]byte
	rand.Read(rnd[:])
	domain := e.ch.From[strings.LastIndexByte(e.ch.From, '@')+1:]
	id = "<raqib-" + hex.EncodeToString(rnd[:]) + "@" + domain + ">"
	var b bytes.Buffer
	from := e.ch.From
	if e.reporter.Name != "" {
		from = mime.BEncoding.Encode("utf-8", e.reporter.Name) + " <" + e.ch.From + ">"
	}
	for _, h := range [][2]string{
		{"From", from},
		{"To", strings.Join(e.ch.To, ", ")},
		{"Subject", mime.BEncoding.Encode("utf-8", subject)},
		{"Date", e.now().Format(time.RFC1123Z)},
		{"Message-ID", id},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "base64"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return id, b.Bytes()
}

// errNoSTARTTLS is a server without STARTTLS on a channel that requires
// it: retrying will not help.
var errNoSTARTTLS = errors.New("the server offers no STARTTLS and the channel requires it")

// smtpTimeout bounds a whole SMTP conversation.
const smtpTimeout = 2 * time.Minute

// deliver speaks SMTP to the configured server: STARTTLS unless the
// channel says "tls" (implicit) or "none", AUTH PLAIN when a user is set
// (net/smtp refuses it without TLS except to localhost).
func (e *emailSender) deliver(ctx context.Context, msg []byte) error {
	host, _, _ := net.SplitHostPort(e.ch.Server)
	d := net.Dialer{Timeout: 30 * time.Second}
	var (
		conn net.Conn
		err  error
	)
	if e.ch.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: host, RootCAs: e.roots}}).DialContext(ctx, "tcp", e.ch.Server)
	} else {
		conn, err = d.DialContext(ctx, "tcp", e.ch.Server)
	}
	if err != nil {
		return err
	}
	deadline := time.Now().Add(smtpTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if e.ch.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("%s: %w", e.ch.Server, errNoSTARTTLS)
		}
		if err := c.StartTLS(&tls.Config{ServerName: host, RootCAs: e.roots}); err != nil {
			return err
		}
	}
	if e.ch.User != "" {
		if err := c.Auth(smtp.PlainAuth("", e.ch.User, os.Getenv(e.ch.PasswordEnv), host)); err != nil {
			return err
		}
	}
	if err := c.Mail(e.ch.From); err != nil {
		return err
	}
	for _, to := range e.ch.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
