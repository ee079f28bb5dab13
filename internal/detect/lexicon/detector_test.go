package lexicon

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

// flagThreshold is the score from which a violating lexicon signal counts
// as a detection in these tests; the rules package sets its own.
const flagThreshold = 0.3

func detectText(t testing.TB, d *Detector, text string) []post.Signal {
	t.Helper()
	p := &post.Post{Kind: post.Message, Text: text, Norm: arabic.Normalize(text)}
	sigs, err := d.Detect(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs {
		for _, sp := range s.Spans {
			if p.Norm[sp.Start:sp.End] != sp.Text {
				t.Fatalf("span %+v does not point into Norm", sp)
			}
		}
	}
	return sigs
}

func violating(sigs []post.Signal) (post.Signal, bool) {
	for _, s := range sigs {
		if s.Label.Violating() && s.Score >= flagThreshold {
			return s, true
		}
	}
	return post.Signal{}, false
}

func TestDefaultEntitiesInRegistry(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := taxonomy.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries() {
		if err := reg.Check(e.Entity); err != nil {
			t.Errorf("%s: %v", e.Source, err)
		}
	}
}

// The posts are hand-made imitations of the genres, not real posts.
func TestDetector(t *testing.T) {
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(h)
	tests := []struct {
		name   string
		text   string
		label  post.Label // "" means no signal at all
		tier   post.Tier
		entity string
	}{
		{"official claim", "#عاجل #ولاية_سيناء بفضل الله تعالى تمكن جنود الخلافة من تفجير آلية لجيش الردة وهلاك وإصابة من فيها، ولله الحمد",
			post.Propaganda, post.TierOfficial, "isis-sinai"},
		{"supporter praise", "دولة الخلافة باقية وتتمدد، اللهم انصر أسود الخلافة على الرافضة والمرتدين", post.Propaganda, post.TierPromotional, "isis"},
		{"recruitment to closed app", "يا شباب الأمة انفروا وبايعوا أمير المؤمنين، للتواصل خاص على تلغرام والرابط في الخاص", post.Recruitment, post.TierPromotional, "isis"},
		{"incitement", "يا جنود الخلافة في ديار الكفر حان الوقت للهجوم، اقتلوهم وادهسوهم أينما ثقفتموهم", post.Incitement, post.TierPromotional, "isis"},
		{"threat", "رسالة إلى الصليبيين: أنت التالي، سنذبحكم في عقر داركم بإذن الله", post.Threat, post.TierThreat, ""},
		{"financing", "جهزوا غازيا في سبيل الله، الجهاد بالمال لإخوانكم المجاهدين، للتبرع عبر محفظة بيتكوين", post.Financing, post.TierPromotional, ""},
		{"instruction", "دورة المتفجرات للأنصار الدرس الأول، دليل المجاهد في صناعة العبوات", post.Instruction, post.TierPromotional, ""},
		{"english supporter", "the khilafah is baqiyah, soldiers of the khilafah will crush the kuffar", post.Propaganda, post.TierPromotional, "isis"},
		{"news with quoted names", `قالت مصادر أمنية إن عناصر من تنظيم "الدولة الإسلامية" (داعش) هاجموا نقطة للجيش العراقي، بحسب بيان رسمي`, post.News, 0, ""},
		{"news ticker", "عاجل | مقتل ثلاثة من عناصر داعش بضربة جوية للتحالف الدولي في وادي حوران", post.News, 0, ""},
		{"counter-speech", "ندعو الجميع إلى الإبلاغ عن الحسابات التي تنشر الفكر المتطرف لداعش وعدم التفاعل معها، لا تنشروا إصداراتهم", post.CounterSpeech, 0, ""},
		{"research", "ورقة بحثية جديدة عن الخلافة الافتراضية لداعش أعدها باحث في مركز دراسات", post.Research, 0, ""},
		{"chatter", "مبروك للهلال الفوز، مباراة رائعة والجمهور كان أسطورة", "", 0, ""},
		{"ordinary prayer", "اللهم اغفر لنا وارحمنا، الحمد لله رب العالمين", "", 0, ""},
		{"english financing", "Equip the mujahideen! Jihad with wealth: the monero wallet address is in DM", post.Financing, post.TierPromotional, ""},
		{"wallet without a cause", "أفضل محفظة بيتكوين لحفظ عملاتك الرقمية، راسلوا المشرف في الخاص", "", 0, ""},
		{"english wallet without a cause", "new crypto wallet with usdt and bitcoin support, details in dm", "", 0, ""},
		{"friday greeting and verse", "جمعة مباركة، قال تعالى: إن الله مع الصابرين، صدق الله العظيم", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := detectText(t, d, tt.text)
			if tt.label == "" {
				for _, s := range sigs {
					if s.Score >= flagThreshold {
						t.Fatalf("unexpected signal %+v", s)
					}
				}
				return
			}
			var got *post.Signal
			for i := range sigs {
				if sigs[i].Label == tt.label {
					got = &sigs[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s signal in %+v", tt.label, sigs)
			}
			if got.Score < flagThreshold || got.Score > 1 {
				t.Errorf("score %v outside [%v, 1]", got.Score, flagThreshold)
			}
			if got.Tier != tt.tier || got.Entity != tt.entity {
				t.Errorf("tier, entity = %d, %q; want %d, %q", got.Tier, got.Entity, tt.tier, tt.entity)
			}
			if got.Detector != "lexicon" || !strings.HasPrefix(got.Explanation, "lexicon matched ") || len(got.Spans) == 0 {
				t.Errorf("signal lacks detector, explanation or spans: %+v", got)
			}
			if !tt.label.Violating() {
				if s, bad := violating(sigs); bad {
					t.Errorf("a %s post was also flagged %s (%.2f): %s", tt.label, s.Label, s.Score, s.Explanation)
				}
			}
		})
	}
}

func TestDetectorSkips(t *testing.T) {
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(h)
	text := "دولة الخلافة باقية وتتمدد"
	for _, p := range []*post.Post{
		{Kind: post.Service, Text: text, Norm: arabic.Normalize(text)},
		{Kind: post.Message, Text: text}, // not enriched: no Norm
	} {
		if sigs, err := d.Detect(p, nil, nil); err != nil || len(sigs) != 0 {
			t.Errorf("Detect(%+v) = %v, %v; want nothing", p, sigs, err)
		}
	}
}

// TestSeedsNotFlagged checks the hard negatives: news and analysis about
// ISIS, which quote its names and slogans.
func TestSeedsNotFlagged(t *testing.T) {
	dir := shareddata.Need(t, "..", "seeds")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed articles in %s: %v", dir, err)
	}
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(h)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if s, bad := violating(detectText(t, d, string(b))); bad {
				t.Errorf("seed flagged %s (%.2f): %s", s.Label, s.Score, s.Explanation)
			}
		})
	}
}

// TestAlfifiDev measures the lexicon alone on the development set and
// guards against regressions of the data files.
func TestAlfifiDev(t *testing.T) {
	path := shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(h)
	var tp, fp, fn int
	for _, r := range rows[1:] {
		_, flagged := violating(detectText(t, d, r[2]))
		pos := r[1] == "ISIS"
		switch {
		case pos && flagged:
			tp++
		case pos:
			fn++
		case flagged:
			fp++
		}
	}
	p := float64(tp) / float64(tp+fp)
	rec := float64(tp) / float64(tp+fn)
	t.Logf("alfifi-dev, lexicon alone at score %.2f: precision %.3f recall %.3f F1 %.3f (tp %d fp %d fn %d)", flagThreshold, p, rec, 2*p*rec/(p+rec), tp, fp, fn)
	if p < 0.95 || rec < 0.7 {
		t.Errorf("precision %.3f / recall %.3f fell below 0.95 / 0.70", p, rec)
	}
}

// TestLongRecordLinear checks that a book-length record is explained as
// its one repeated paragraph is: repeats are found through a map past
// manyHits hits (scanning the earlier hits made detection quadratic in the
// record's length), and its spans are bounded. The paragraph is hand-made.
func TestLongRecordLinear(t *testing.T) {
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(h)
	para := "الدولة الإسلامية باقية وتتمدد، قال المصدر إن جنود الخلافة أعلنوا البيعة. "
	signals := func(repeats int) []post.Signal {
		p := &post.Post{Kind: post.Message, Norm: arabic.Normalize(strings.Repeat(para, repeats))}
		sigs, err := d.Detect(p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sigs
	}
	short, long := signals(1), signals(5000)
	if len(short) == 0 || len(short) != len(long) {
		t.Fatalf("signals of one paragraph %+v and of 5000 %d", short, len(long))
	}
	for i := range short {
		s, l := short[i], long[i]
		if s.Label != l.Label || s.Score != l.Score || s.Explanation != l.Explanation {
			t.Errorf("signal %d: one paragraph %s %.3f %q; 5000 paragraphs %s %.3f %q", i, s.Label, s.Score, s.Explanation, l.Label, l.Score, l.Explanation)
		}
		if len(l.Spans) > maxSpans {
			t.Errorf("signal %d has %d spans, want at most %d", i, len(l.Spans), maxSpans)
		}
	}
}
