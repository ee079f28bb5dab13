package liveness

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fixedRand returns r for every draw.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }

func TestScheduleDenseThenSparse(t *testing.T) {
	tr := New(nil, nil, Config{Jitter: 0})
	it := Tracked{Item: Item{ReferredAt: t0}, State: Online}
	at := t0.Add(DefaultIntervals[0])
	var waits []time.Duration
	for range 12 {
		tr.Apply(&it, Check{At: at, Outcome: Up, Status: 200})
		waits = append(waits, it.NextCheck.Sub(at))
		at = it.NextCheck
	}
	want := append(DefaultIntervals[1:], 24*time.Hour, 24*time.Hour, 24*time.Hour, 24*time.Hour)
	for i := range waits {
		if waits[i] != want[i] {
			t.Fatalf("wait after check %d = %v, want %v (all: %v)", i+1, waits[i], want[i], waits)
		}
	}
	if it.Checks != 12 || it.State != Online || len(it.History) != 12 {
		t.Errorf("after 12 online checks: %d checks, state %s, %d in history", it.Checks, it.State, len(it.History))
	}
}

func TestScheduleJitterBounds(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
		tr := New(nil, nil, Config{Jitter: 0.2, Rand: fixedRand(r)})
		it := Tracked{State: Online, Checks: 3} // next wait: Intervals[4] = 2h
		tr.Apply(&it, Check{At: t0, Outcome: Up})
		got := it.NextCheck.Sub(t0)
		want := time.Duration(float64(2*time.Hour) * (1 + 0.2*(2*r-1)))
		if got != want || got < 96*time.Minute || got > 144*time.Minute {
			t.Errorf("rand %v: wait %v, want %v within [1h36m, 2h24m]", r, got, want)
		}
	}
}

func TestConfirmationAndComeback(t *testing.T) {
	tr := New(nil, nil, Config{Jitter: 0, Confirm: 2, ConfirmAfter: 5 * time.Minute})
	it := Tracked{Item: Item{ReferredAt: t0}, State: Online}
	step := func(at time.Time, o Outcome) {
		t.Helper()
		tr.Apply(&it, Check{At: at, Outcome: o})
	}
	step(t0.Add(5*time.Minute), Up)
	step(t0.Add(20*time.Minute), GoneOutcome)
	if it.State != Gone || !it.GoneSince.Equal(t0.Add(20*time.Minute)) || !it.RemovedAt.IsZero() {
		t.Fatalf("after one gone check: %+v, want gone since 20m, not yet removed", it)
	}
	if got := it.NextCheck.Sub(t0); got != 25*time.Minute {
		t.Errorf("confirming check due at +%v, want +25m", got)
	}
	// A failed fetch neither confirms nor resets the streak.
	step(t0.Add(25*time.Minute), Transient)
	if it.State != Gone || it.Streak != 1 || it.NextCheck.Sub(t0) != 30*time.Minute {
		t.Fatalf("after a transient: state %s streak %d next +%v, want gone, 1, +30m", it.State, it.Streak, it.NextCheck.Sub(t0))
	}
	step(t0.Add(30*time.Minute), Withheld)
	if it.State != Removed || !it.RemovedAt.Equal(t0.Add(20*time.Minute)) || !it.ConfirmedAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("after the confirming check: %+v, want removed at +20m confirmed at +30m", it)
	}
	if got := it.NextCheck.Sub(t0.Add(30 * time.Minute)); got != 24*time.Hour {
		t.Errorf("removed content re-checked after %v, want the sparse 24h", got)
	}
	step(t0.Add(25*time.Hour), Up)
	if it.State != Returned || !it.ReturnedAt.Equal(t0.Add(25*time.Hour)) || !it.RemovedAt.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("after coming back: %+v, want returned at +25h, first removal kept", it)
	}
	step(t0.Add(26*time.Hour), GoneOutcome)
	step(t0.Add(27*time.Hour), GoneOutcome)
	if it.State != Removed || !it.RemovedAt.Equal(t0.Add(20*time.Minute)) || !it.ConfirmedAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("removed again: %+v, want removed with the first removal's times", it)
	}
}

func TestOneGoneIsNotARemoval(t *testing.T) {
	tr := New(nil, nil, Config{Jitter: 0, Confirm: 2})
	it := Tracked{State: Online}
	tr.Apply(&it, Check{At: t0, Outcome: GoneOutcome})
	tr.Apply(&it, Check{At: t0.Add(5 * time.Minute), Outcome: Up})
	if it.State != Online || it.Streak != 0 || !it.GoneSince.IsZero() || !it.RemovedAt.IsZero() {
		t.Errorf("gone then online: %+v, want online with no removal", it)
	}
}

func TestHistoryBounded(t *testing.T) {
	tr := New(nil, nil, Config{})
	it := Tracked{State: Online}
	for i := range HistoryLen + 10 {
		tr.Apply(&it, Check{At: t0.Add(time.Duration(i) * time.Hour), Outcome: Up})
	}
	if len(it.History) != HistoryLen || !it.History[0].At.Equal(t0.Add(10*time.Hour)) {
		t.Errorf("history holds %d checks from %v, want the last %d", len(it.History), it.History[0].At, HistoryLen)
	}
}
