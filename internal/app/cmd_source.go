package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// sourceSettings are the settings of `raqib source`.
var sourceSettings = append([]string{"data", "store", "source-kind", "every", "token-env", "selector", "json", "collect-pages", "log-level"}, fetchSettings...)

const sourceUsage = "source needs a subcommand: add URL|HANDLE --kind KIND, list, pause|resume|remove ID|URL, test URL --kind KIND, proposed"

// runSource manages watched sources. Every change is audited; running
// serve and worker processes pick changes up within seconds.
func runSource(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: %s", ErrUsage, sourceUsage)
	}
	sub, args := c.Args[0], c.Args[1:]
	if sub == "test" {
		return sourceTest(ctx, c, args)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	coll, err := collection(st)
	if err != nil {
		return err
	}
	aud := newCLIAuditor(st)
	switch sub {
	case "add":
		if len(args) != 1 {
			return fmt.Errorf("%w: source add takes one URL or handle", ErrUsage)
		}
		src, err := c.newSource(args[0], aud.actor)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
		if err := coll.Watch(ctx, src); err != nil {
			return err
		}
		if err := aud.record(ctx, "source.add", src.ID, nil, src.Watch); err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "watching %s (%s) every %s as source %s\n", src.Location, src.Watch.Kind, src.Watch.Every, src.ID)
		if src.Watch.Kind == collect.Webhook {
			fmt.Fprintf(c.Stdout, "push to POST /hooks/%s with header %s: sha256=HMAC-SHA256(body, $%s)\n", src.ID, collect.SignatureHeader, src.Watch.TokenEnv)
		}
		return nil
	case "list":
		srcs, err := coll.Watched(ctx, time.Now())
		if err != nil {
			return err
		}
		return printSources(c, srcs)
	case "proposed":
		props, err := coll.Proposals(ctx, 0)
		if err != nil {
			return err
		}
		if c.JSON {
			return json.NewEncoder(c.Stdout).Encode(props)
		}
		tw := tabwriter.NewWriter(c.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tLOCATION\tFLAGGED POSTS\tLAST SEEN")
		for _, p := range props {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Kind, p.Location, p.Posts, p.LastSeen.Format(time.RFC3339))
		}
		return tw.Flush()
	case "pause", "resume", "remove":
		if len(args) == 0 {
			return fmt.Errorf("%w: source %s needs an ID or URL", ErrUsage, sub)
		}
		for _, a := range args {
			src, err := findSource(ctx, coll, a)
			if err != nil {
				return err
			}
			before := *src.Watch
			switch sub {
			case "remove":
				err = coll.Unwatch(ctx, src.ID)
			default:
				err = coll.SetPaused(ctx, src.ID, sub == "pause")
			}
			if err != nil {
				return err
			}
			var after any
			if sub != "remove" {
				after = map[string]bool{"paused": sub == "pause"}
			}
			if err := aud.record(ctx, "source."+sub, src.ID, before, after); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s: %s\n", sub, src.Location)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown subcommand %q; %s", ErrUsage, sub, sourceUsage)
}

// newSource is the source the flags describe at loc.
func (c *Config) newSource(loc, actor string) (post.Source, error) {
	if c.SourceKind == "" {
		return post.Source{}, fmt.Errorf("--kind is required: one of %s", strings.Join(collect.Kinds, ", "))
	}
	return collect.NewSource(c.SourceKind, loc, collect.Options{Every: c.Every, TokenEnv: c.TokenEnv, Selector: c.Selector, AddedBy: actor, Now: time.Now()})
}

// findSource finds a watched source by id, location, or what canonicalizes
// to its location (@channel).
func findSource(ctx context.Context, coll store.Collection, ref string) (post.Source, error) {
	srcs, err := coll.Watched(ctx, time.Now())
	if err != nil {
		return post.Source{}, err
	}
	for _, s := range srcs {
		if s.ID == ref || s.Location == ref {
			return s, nil
		}
		if name, ok := collect.TelegramChannel(ref); ok && s.Location == "https://t.me/s/"+name {
			return s, nil
		}
	}
	return post.Source{}, fmt.Errorf("no watched source %q (see raqib source list): %w", ref, store.ErrNotFound)
}

func printSources(c *Config, srcs []post.Source) error {
	if c.JSON {
		return json.NewEncoder(c.Stdout).Encode(srcs)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tLOCATION\tEVERY\tSTATE\tLAST SUCCESS\tLAG\tPOSTS/DAY\tPOSTS\tLAST ERROR")
	for _, s := range srcs {
		w := s.Watch
		state := "ok"
		switch {
		case w.Paused:
			state = "paused"
		case w.Failing():
			state = fmt.Sprintf("failing (%d)", w.Failures)
		case w.LastSuccess.IsZero():
			state = "not read yet"
		}
		last, lag := "-", "-"
		if !w.LastSuccess.IsZero() {
			last, lag = w.LastSuccess.Format(time.RFC3339), w.Lag(now).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.ID, w.Kind, s.Location, w.Every, state, last, lag, w.PostsDay, s.Posts, oneLine(w.LastError, 80))
	}
	return tw.Flush()
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// sourceTest polls a source once, as it would be added, and prints what
// would be imported; nothing is stored.
func sourceTest(ctx context.Context, c *Config, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: source test takes one URL or handle", ErrUsage)
	}
	src, err := c.newSource(args[0], "")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	conn := connectors()[src.Watch.Kind]
	if conn == nil {
		return fmt.Errorf("%w: a %s source is pushed to, not polled: nothing to test", ErrUsage, src.Watch.Kind)
	}
	env, err := c.collectEnv()
	if err != nil {
		return err
	}
	b, err := conn.Poll(ctx, env, src)
	if err != nil {
		return err
	}
	collect.Stamp(b.Posts, src, time.Now())
	if c.JSON {
		for _, p := range b.Posts {
			p.Raw = nil
			if err := json.NewEncoder(c.Stdout).Encode(p); err != nil {
				return err
			}
		}
	} else {
		writePreview(c.Stdout, b.Posts)
	}
	for _, r := range b.Rejected {
		fmt.Fprintf(c.Stderr, "rejected %s\n", r.Error())
	}
	fmt.Fprintf(c.Stderr, "%s: %d posts would be imported, %d records rejected; nothing was stored\n", src.Location, len(b.Posts), len(b.Rejected))
	return nil
}

func writePreview(w io.Writer, ps []post.Post) {
	for _, p := range ps {
		at := "-"
		if !p.PostedAt.IsZero() {
			at = p.PostedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", p.Key(), at, oneLine(p.Title+" "+p.Text, 120))
	}
}
