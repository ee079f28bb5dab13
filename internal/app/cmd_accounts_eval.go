package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
)

// accountEvalThresholds are the flagged-post counts from which an account
// is called flagged.
var accountEvalThresholds = []int{1, 2, 3, 5, 10}

// accountEvalRow is one threshold's outcome of the account-level
// evaluation.
type accountEvalRow struct {
	MinFlagged        int     `json:"min_flagged_posts"`
	Positives         int     `json:"positive_accounts"`
	PositivesFlagged  int     `json:"positive_flagged"`
	Recall            float64 `json:"recall"`
	Negatives         int     `json:"negative_accounts"`
	NegativesFlagged  int     `json:"negative_flagged"`
	FalsePositiveRate float64 `json:"false_positive_rate"`
}

// evalAccounts runs every post of the 113 pro-ISIS accounts of
// isis-fanboy-en and of pseudo-accounts cut from the negative sets (ASTD
// political tweets, OSACT offensive tweets; as many posts each as the
// fanboy accounts have on average, in file order) through the detection
// stack, and prints, per threshold of flagged posts, how many accounts of
// each side are flagged. The stack never saw these files: the embedded
// model is trained on alfifi-dev.
func evalAccounts(_ context.Context, c *Config) error {
	fan := shareddata.Path("isis-fanboy-en", "IsisFanboy.csv")
	if fan == "" {
		return fmt.Errorf("accounts eval needs ../shared/data/isis-fanboy-en (set RAQIB_SHARED_DATA): %w", os.ErrNotExist)
	}
	det, err := newDetection(c, c.logger())
	if err != nil {
		return err
	}
	pos, err := readFanboy(fan)
	if err != nil {
		return err
	}
	total := 0
	for _, ts := range pos {
		total += len(ts)
	}
	size := max(1, total/len(pos))
	var neg [][]string
	for _, df := range []classifier.DataFile{
		{Path: shareddata.Path("astd-ar-political", "Tweets.txt"), Format: classifier.FormatASTD},
		{Path: shareddata.Path("osact2022-ar-offensive", "OSACT2022-sharedTask-train.txt"), Format: classifier.FormatOSACT},
	} {
		if df.Path == "" {
			return fmt.Errorf("accounts eval needs the negative sets astd-ar-political and osact2022-ar-offensive: %w", os.ErrNotExist)
		}
		exs, err := classifier.Load(df, nil)
		if err != nil {
			return err
		}
		for i := 0; i < len(exs); i += size {
			var ts []string
			for _, e := range exs[i:min(i+size, len(exs))] {
				ts = append(ts, e.Text)
			}
			neg = append(neg, ts)
		}
	}
	flagged := func(accounts map[string][]string, list [][]string) []int {
		var out []int
		count := func(ts []string) int {
			n := 0
			for _, text := range ts {
				p := post.Post{Platform: post.X, Kind: post.Message, Text: text}
				det.analyze(&p)
				if p.Decision.Violating {
					n++
				}
			}
			return n
		}
		for _, ts := range accounts {
			out = append(out, count(ts))
		}
		for _, ts := range list {
			out = append(out, count(ts))
		}
		return out
	}
	pf, nf := flagged(pos, nil), flagged(nil, neg)
	enc := json.NewEncoder(c.Stdout)
	for _, k := range accountEvalThresholds {
		row := accountEvalRow{MinFlagged: k, Positives: len(pf), Negatives: len(nf)}
		row.PositivesFlagged = len(slices.DeleteFunc(slices.Clone(pf), func(n int) bool { return n < k }))
		row.NegativesFlagged = len(slices.DeleteFunc(slices.Clone(nf), func(n int) bool { return n < k }))
		row.Recall = round3(float64(row.PositivesFlagged) / float64(row.Positives))
		row.FalsePositiveRate = round3(float64(row.NegativesFlagged) / float64(row.Negatives))
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	return nil
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// readFanboy reads IsisFanboy.csv (name, username, tweetid, time, tweets)
// into tweets by account. A malformed row is skipped, as the data set's
// notes say one is.
func readFanboy(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	user, text := slices.Index(head, "username"), slices.Index(head, "tweets")
	if user < 0 || text < 0 {
		return nil, fmt.Errorf("%s: header %v lacks username or tweets", path, head)
	}
	out := map[string][]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) || len(rec) <= max(user, text) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[rec[user]] = append(out[rec[user]], rec[text])
	}
}
