package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/store"
)

// referralCLI is what the referral commands share: the store, the
// service and the OS user as the actor.
type referralCLI struct {
	st  store.Store
	svc *referral.Service
	by  referral.Actor
}

func openReferralCLI(ctx context.Context, c *Config) (*referralCLI, error) {
	st, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	svc, err := openReferrals(c, st, c.logger(), nil, nil)
	if err == nil && svc == nil {
		err = errNoReferrals
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	a := newCLIAuditor(st)
	return &referralCLI{st: st, svc: svc, by: referral.Actor{User: a.actor, Source: a.source}}, nil
}

// runRefer turns confirmed cases into referrals, which serve or worker
// send.
func runRefer(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: refer needs one or more case ids", ErrUsage)
	}
	ids, err := parseIDs(c.Args)
	if err != nil {
		return err
	}
	r, err := openReferralCLI(ctx, c)
	if err != nil {
		return err
	}
	defer r.st.Close()
	var all []store.Referral
	for _, id := range ids {
		rs, err := r.svc.FromCaseID(ctx, id, r.by)
		if err != nil {
			return err
		}
		all = append(all, rs...)
	}
	return printReferrals(c, all)
}

func parseIDs(args []string) ([]int64, error) {
	var ids []int64
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%w: %q is not an id", ErrUsage, a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// runReferral lists, shows, approves, submits and records replies to
// referrals.
func runReferral(ctx context.Context, c *Config) error {
	usage := fmt.Errorf("%w: referral needs list [STATUS] | show ID | reply ID --ticket T --reply TEXT | approve ID | submit ID [--ticket T]", ErrUsage)
	if len(c.Args) == 0 {
		return usage
	}
	verb, args := c.Args[0], c.Args[1:]
	if verb == "list" && len(args) > 1 || verb != "list" && len(args) != 1 {
		return usage
	}
	var id int64
	if verb != "list" {
		ids, err := parseIDs(args)
		if err != nil {
			return err
		}
		id = ids[0]
	}
	r, err := openReferralCLI(ctx, c)
	if err != nil {
		return err
	}
	defer r.st.Close()
	rst := r.st.(referral.Store)
	switch verb {
	case "list":
		f := store.ReferralFilter{Limit: 1000}
		if len(args) == 1 {
			f.Status = store.ReferralStatus(args[0])
		}
		rs, err := rst.ListReferrals(ctx, f)
		if err != nil {
			return err
		}
		return printReferrals(c, rs)
	case "show":
		ref, replies, err := rst.Referral(ctx, id)
		if err != nil {
			return err
		}
		return showReferral(c, ref, replies)
	case "reply":
		if err := r.svc.Reply(ctx, id, r.by, "cli", c.Ticket, c.Reply); err != nil {
			return err
		}
	case "approve":
		if _, err := r.svc.Approve(ctx, id, r.by); err != nil {
			return err
		}
	case "submit":
		if _, err := r.svc.Submit(ctx, id, r.by, c.Ticket); err != nil {
			return err
		}
	default:
		return usage
	}
	ref, replies, err := rst.Referral(ctx, id)
	if err != nil {
		return err
	}
	return showReferral(c, ref, replies)
}

func printReferrals(c *Config, rs []store.Referral) error {
	if c.JSON {
		enc := jsonEncoder(c.Stdout)
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCASE\tROUND\tTARGET\tCHANNEL\tSTATUS\tTICKET\tSENT\tURL")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.CaseID, r.Round, r.Target, r.Kind, r.Status, r.Ticket, timeOrDash(r.SentAt), r.URL)
	}
	return tw.Flush()
}

func showReferral(c *Config, r store.Referral, replies []store.ReferralReply) error {
	if c.JSON {
		return jsonEncoder(c.Stdout).Encode(map[string]any{"referral": r, "replies": replies})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	for _, f := range [][2]string{
		{"referral", strconv.FormatInt(r.ID, 10)}, {"case", strconv.FormatInt(r.CaseID, 10)}, {"post", r.PostKey}, {"url", r.URL},
		{"target", r.Target + " (" + r.Kind + ")"}, {"round", strconv.Itoa(r.Round)}, {"escalation", strconv.FormatBool(r.Escalation)},
		{"label", string(r.Label)}, {"tier", strconv.Itoa(int(r.Tier))}, {"entity", r.Entity}, {"evidence sha256", r.EvidenceHash},
		{"status", string(r.Status)}, {"attempts", strconv.Itoa(r.Attempts)}, {"ticket", r.Ticket}, {"last error", r.LastError},
		{"created", timeOrDash(r.CreatedAt) + " by " + r.CreatedBy}, {"approved by", r.ApprovedBy}, {"sent", timeOrDash(r.SentAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	for _, rp := range replies {
		fmt.Fprintf(tw, "reply:\t%s %s via %s ticket %q: %s\n", timeOrDash(rp.At), rp.By, rp.Via, rp.Ticket, rp.Text)
	}
	return tw.Flush()
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
