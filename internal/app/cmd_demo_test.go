package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/demo"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// whenWritten calls fn once, in its own goroutine, when the output holds
// marker.
type whenWritten struct {
	mu     sync.Mutex
	buf    strings.Builder
	marker string
	fn     func()
	done   bool
}

func (w *whenWritten) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.marker) {
		w.done = true
		go w.fn()
	}
	return len(p), nil
}

// TestDemoRefersToSimulatedPlatform runs the demo until the referrals of
// the simulated platform's violating posts are sent: the platform holds
// them with their removal times, and a second run on the kept directory
// refers nothing again.
func TestDemoRefersToSimulatedPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice")
	}
	data := filepath.Join(t.TempDir(), "demo")
	violating := len(demo.SimulatedPosts) - 1 // the last is news
	run := func() []store.Referral {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var sent []store.Referral
		c := testConfig(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
		c.Stdout = &whenWritten{marker: "raqib demo is running", fn: func() {
			defer cancel()
			st, err := sqlite.Open(ctx, data)
			if err != nil {
				t.Error(err)
				return
			}
			defer st.Close()
			for ctx.Err() == nil {
				if sent, err = st.ListReferrals(ctx, store.ReferralFilter{Status: store.ReferralSent}); err != nil || len(sent) >= violating {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}}
		if err := Run(ctx, "demo", c); err != nil {
			t.Fatal(err)
		}
		return sent
	}
	first := run()
	if len(first) != violating {
		t.Fatalf("demo sent %d referrals, want %d", len(first), violating)
	}
	b, err := os.ReadFile(filepath.Join(data, "simulated-platform.json"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Reports []struct {
			URL      string    `json:"url"`
			Ticket   string    `json:"ticket"`
			At       time.Time `json:"at"`
			RemoveAt time.Time `json:"remove_at"`
		} `json:"reports"`
	}
	if err := json.Unmarshal(b, &state); err != nil || len(state.Reports) != violating {
		t.Fatalf("platform state: %v, %s", err, b)
	}
	for i, r := range state.Reports {
		if got := r.RemoveAt.Sub(r.At); got != demo.RemovalDelays[i] {
			t.Errorf("report %d (%s) removed after %v, want %v", i, r.URL, got, demo.RemovalDelays[i])
		}
	}
	if second := run(); len(second) != violating {
		t.Errorf("second run: %d sent referrals, want the first run's %d and no more", len(second), violating)
	}
	b2, _ := os.ReadFile(filepath.Join(data, "simulated-platform.json"))
	if string(b2) != string(b) {
		t.Errorf("the second run sent the platform more referrals:\n%s\n%s", b, b2)
	}
}
