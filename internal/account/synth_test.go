package account

import (
	"testing"
)

func TestEvaluateSynthetic(t *testing.T) {
	s := Generate(20_000, 1)
	if len(s.Profiles) != 20_000 || len(s.Removed) == 0 {
		t.Fatalf("generated %d accounts, %d removals", len(s.Profiles), len(s.Removed))
	}
	r := Evaluate(s, 500)
	t.Logf("%+v", r)
	if r.Recall < 0.8 || r.Precision < 0.8 {
		t.Errorf("recall@5 %.3f, precision %.3f on a 20k registry: want both >= 0.8", r.Recall, r.Precision)
	}
}
