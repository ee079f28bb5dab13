package referral

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/demo/platform"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// BenchmarkSend measures referrals sent per second to the simulated
// platform's webhook in batches of 20 (send), beside the store's own claim
// and finish of the same batches with no channel (store), the baseline.
func BenchmarkSend(b *testing.B) {
	for _, mode := range []string{"store", "send"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, platform.Options{}, `, "batch": 20`, Options{})
			const n = 100
			next, sent := 0, 0
			b.ResetTimer()
			for range b.N {
				// Each round sends n new referrals.
				b.StopTimer()
				for range n {
					next++
					c, _ := e.confirmed(fmt.Sprint(next), post.Telegram)
					if _, err := e.svc.FromCase(ctx, c, amina); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				for {
					var k int
					var err error
					if mode == "send" {
						k, err = e.svc.SendOnce(ctx)
					} else {
						k, err = claimAndFinish(ctx, e.st)
					}
					if err != nil {
						b.Fatal(err)
					}
					if k == 0 {
						break
					}
					sent += k
				}
			}
			b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "referrals/s")
		})
	}
}

func claimAndFinish(ctx context.Context, st store.Referrals) (int, error) {
	now := time.Now()
	rs, err := st.ClaimReferrals(ctx, store.ReferralClaim{Owner: "w1", Now: now, Lease: time.Minute, Max: 20})
	for _, r := range rs {
		if _, err := st.FinishReferral(ctx, "w1", r.ID, store.ReferralOutcome{Status: store.ReferralSent, At: now}); err != nil {
			return 0, err
		}
	}
	return len(rs), err
}
