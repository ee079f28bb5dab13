package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// DefaultSLA is how long a case may wait for a decision by severity tier:
// a threat to life within the hour, crisis content within four, official
// propaganda within a day, promotional content within three days, and a
// case without a tier (tier 0) within a week.
const DefaultSLA = "1=1h,2=4h,3=24h,4=72h,0=168h"

// SLA is how long a case of each tier may wait for a decision.
type SLA map[post.Tier]time.Duration

// ParseSLA reads TIER=DURATION pairs separated by commas, e.g. DefaultSLA;
// tiers it does not name keep DefaultSLA's.
func ParseSLA(s string) (SLA, error) {
	out := SLA{}
	if s != DefaultSLA {
		def, _ := ParseSLA(DefaultSLA)
		for k, v := range def {
			out[k] = v
		}
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		t, d, ok := strings.Cut(part, "=")
		tier, err := strconv.Atoi(strings.TrimSpace(t))
		if !ok || err != nil || tier < 0 || tier > int(post.TierPromotional) {
			return nil, fmt.Errorf("SLA %q: want TIER=DURATION with a tier from 0 to 4", part)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("SLA %q: want a positive duration such as 4h", part)
		}
		out[post.Tier(tier)] = dur
	}
	return out, nil
}

// Due is when a decision on c is due: its SLA after it was opened; zero
// when its tier has none.
func (s SLA) Due(c post.Case) time.Time {
	d, ok := s[c.Tier]
	if !ok {
		return time.Time{}
	}
	return c.CreatedAt.Add(d)
}
