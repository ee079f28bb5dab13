package taxonomy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
)

func TestNames(t *testing.T) {
	for _, l := range post.Labels {
		for _, lang := range []string{Arabic, English} {
			t.Run(string(l)+"/"+lang, func(t *testing.T) {
				if n := LabelName(l, lang); n == "" || n == string(l) {
					t.Errorf("LabelName(%s, %s) = %q", l, lang, n)
				}
				if LabelDefinition(l, lang) == "" {
					t.Errorf("LabelDefinition(%s, %s) is empty", l, lang)
				}
			})
		}
	}
	for _, tier := range []post.Tier{post.TierNone, post.TierThreat, post.TierCrisis, post.TierOfficial, post.TierPromotional} {
		if TierName(tier, Arabic) == TierName(tier, English) || TierDefinition(tier, Arabic) == "" {
			t.Errorf("tier %d lacks an Arabic or English name or definition", tier)
		}
	}
	if got := LabelName(post.Propaganda, "fr"); got != "Propaganda" {
		t.Errorf("other languages fall back to English: got %q", got)
	}
	if got := LabelName("nonsense", Arabic); got != "nonsense" {
		t.Errorf("unknown label: got %q", got)
	}
}

func TestDefaultRegistry(t *testing.T) {
	r, err := DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"isis", "isis-sham", "isis-iraq", "isis-sinai", "isis-khorasan", "isis-wa", "isis-somalia", "isis-mozambique", "isis-libya", "aq", "aqap", "aqim", "al-shabaab", "hts"} {
		if _, ok := r.Get(id); !ok {
			t.Errorf("default registry lacks %q", id)
		}
	}
	isis, _ := r.Get("isis")
	if len(isis.Outlets) == 0 || len(isis.Designations) == 0 || len(isis.OpponentNames) == 0 {
		t.Errorf("isis record is incomplete: %+v", isis)
	}
	tests := []struct {
		id, ancestor string
		want         bool
	}{
		{"isis-sinai", "isis", true},
		{"isis", "isis", true},
		{"isis", "isis-sinai", false},
		{"aqap", "aq", true},
		{"aqap", "isis", false},
		{"nobody", "isis", false},
	}
	for _, tt := range tests {
		if got := r.IsA(tt.id, tt.ancestor); got != tt.want {
			t.Errorf("IsA(%q, %q) = %v, want %v", tt.id, tt.ancestor, got, tt.want)
		}
	}
	if err := r.Check("isis", "", "aq"); err != nil {
		t.Errorf("Check of known ids: %v", err)
	}
	if err := r.Check("isis", "zz", "aa"); !errors.Is(err, ErrNotInRegistry) || !strings.Contains(err.Error(), "aa, zz") {
		t.Errorf("Check of unknown ids = %v", err)
	}
}

func TestParseRegistryErrors(t *testing.T) {
	const good = "[isis]\nkind: group\nname.ar: الدولة الإسلامية\nname.en: Islamic State\n"
	tests := []struct {
		name, src, want string
		is              error
	}{
		{"unknown key", good + "colour: black\n", `reg.txt:5: unknown key "colour"`, ErrUnknownKey},
		{"duplicate id", good + "[isis]\n", `reg.txt:5: duplicate id "isis" (first at reg.txt:1)`, ErrDuplicate},
		{"bad header", good + "[ISIS core]\nkind: group\n", `reg.txt:5: syntax error: record header "[ISIS core]"`, ErrSyntax},
		{"key outside record", "kind: group\n" + good, `reg.txt:1: syntax error: "kind" outside a valid [id] record`, ErrSyntax},
		{"no colon", good + "just words\n", `reg.txt:5: syntax error: want "key: value"`, ErrSyntax},
		{"repeated single key", good + "name.en: ISIS\n", `reg.txt:5: duplicate key "name.en" in [isis]`, ErrDuplicate},
		{"bad kind", good + "[x]\nkind: club\nname.ar: س\nname.en: X\n", `reg.txt:6: syntax error: kind "club"`, ErrSyntax},
		{"unknown parent", good + "[x]\nparent: nobody\nkind: province\nname.ar: س\nname.en: X\n", `reg.txt:6: unknown entity "nobody" as parent of [x]`, ErrUnknownID},
		{"parent loop", "[a]\nparent: b\nkind: group\nname.ar: أ\nname.en: A\n[b]\nparent: a\nkind: group\nname.ar: ب\nname.en: B\n", `parent chain of [a] loops`, ErrSyntax},
		{"missing names", good + "[x]\nkind: group\n", `reg.txt:5: [x]: missing field`, ErrMissing},
		{"bad designation", good + "designation: UN\n", `reg.txt:5: syntax error: designation "UN"`, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegistry(strings.NewReader(tt.src), "reg.txt")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRegistry error = %v, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestLoadRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "entities.txt")
	src := "# analyst copy\n[isis]\nkind: group\nname.ar: الدولة الإسلامية\nname.en: Islamic State\n" +
		"designation: UN | ISIL | QDe.115\n[isis-x]\nparent: isis\nkind: province\nname.ar: ولاية س\nname.en: X Province\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.All()) != 2 || !r.IsA("isis-x", "isis") {
		t.Fatalf("loaded %d entities", len(r.All()))
	}
	isis, _ := r.Get("isis")
	if d := isis.Designations; len(d) != 1 || d[0] != (Designation{List: "UN", Name: "ISIL", Ref: "QDe.115"}) {
		t.Errorf("designations = %+v", d)
	}
	if _, err := LoadRegistry(filepath.Join(t.TempDir(), "absent.txt")); err == nil {
		t.Error("LoadRegistry of a missing file succeeded")
	}
}

func FuzzParseRegistry(f *testing.F) {
	f.Add(defaultEntities)
	f.Add("[a]\nparent: a\nkind: group\nname.ar: x\nname.en: y\n")
	f.Add("[a\n:\n[]\ndesignation: a|b|c|d\n")
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseRegistry(strings.NewReader(src), "fuzz.txt")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.txt:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		for _, e := range r.All() {
			if e.NameAR == "" || e.NameEN == "" || !validID(e.ID) {
				t.Fatalf("invalid entity accepted: %+v", e)
			}
			if e.Parent != "" && !r.IsA(e.ID, e.Parent) {
				t.Fatalf("parent %q of %q not reachable", e.Parent, e.ID)
			}
		}
	})
}
