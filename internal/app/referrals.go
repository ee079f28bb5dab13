package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
)

// referralSettings are the settings of the commands that create or send
// referrals.
var referralSettings = append([]string{"referrals", "referral-approval"}, fetchSettings...)

// senderSettings are those of the long-running commands, which send.
var senderSettings = append([]string{"referral-every"}, referralSettings...)

// errNoReferrals is returned by referral commands run without --referrals.
var errNoReferrals = errors.New("referrals are off: --referrals (RAQIB_REFERRALS) names no configuration file")

// openReferrals returns the referral service over st as the settings say,
// nil when --referrals is empty. With a liveness tracker, every sent
// referral's URL is watched from its send time, and re-reports ask the
// tracker whether the content is still online.
func openReferrals(c *Config, st store.Store, log *slog.Logger, live *liveness.Tracker, reg prometheus.Registerer) (*referral.Service, error) {
	if c.Referrals == "" {
		return nil, nil
	}
	rst, ok := st.(referral.Store)
	if !ok {
		return nil, fmt.Errorf("referrals: the %T store keeps none", st)
	}
	cfg, err := referral.LoadConfig(c.Referrals)
	if err != nil {
		return nil, err
	}
	client, err := c.fetcher()
	if err != nil {
		return nil, err
	}
	opts := referral.Options{RequireApproval: c.ReferralApproval, HTTP: client, Owner: senderName(), Log: log, Now: c.Now}
	if live != nil {
		opts.Online = live
		opts.OnSent = func(ctx context.Context, s referral.Sent) error {
			return live.Track(ctx, liveness.Item{URL: s.URL, Platform: s.Platform, PostKey: s.PostKey, CaseID: s.CaseID,
				ReferralID: s.ReferralID, Channel: liveness.Channel(s.Kind), Label: s.Label, Tier: s.Tier, ReferredAt: s.At})
		}
	}
	if reg != nil {
		sends := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_referral_sends_total",
			Help: "Referral send attempts by target, channel and outcome: queued (to be retried), sent, manual (a bundle to submit by hand) or failed.",
		}, []string{"target", "channel", "outcome"})
		reg.MustRegister(sends)
		opts.Observe = func(target, channel string, o store.ReferralStatus) {
			sends.WithLabelValues(target, channel, string(o)).Inc()
		}
	}
	return referral.New(rst, cfg, opts)
}

// senderName names this process among the senders sharing a store.
func senderName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	var b [4]byte
	rand.Read(b[:])
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// sendReferrals runs the referral sender until ctx ends, when referrals
// are configured.
func (s *system) sendReferrals(ctx context.Context) {
	if s.referrals == nil {
		return
	}
	s.log.Info("referral sender started", "every", s.cfg.ReferralEvery, "targets", len(s.referrals.Config().Targets))
	s.referrals.Run(ctx, max(s.cfg.ReferralEvery, time.Second))
}

// referralHook refers a case as soon as it may leave the unit: when a
// senior approves its confirmation, or on a confirmation that needs no
// approval. It is a review.Hook; its error (a case with no post to refer)
// is recorded on the case.
type referralHook struct{ svc *referral.Service }

func (referralHook) Name() string { return "referral" }

func (h referralHook) AfterEvent(ctx context.Context, c post.Case, e review.Event) error {
	if e.Action != string(review.Approve) && e.Action != string(review.Confirm) {
		return nil
	}
	if store.CheckReferable(c.ID, c.Status, c.Approval) != nil {
		return nil // a confirmation that waits for approval
	}
	_, err := h.svc.FromCase(ctx, c, referral.Actor{User: e.Actor, Source: "review"})
	return err
}
