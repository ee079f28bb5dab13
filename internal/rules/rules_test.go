package rules

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
)

var (
	stackOnce sync.Once
	stackErr  error
	lexHolder *lexicon.Holder
	model     *classifier.Model
)

func newStack(t testing.TB, counters Counters) *Stack {
	t.Helper()
	stackOnce.Do(func() {
		lexHolder, stackErr = lexicon.NewHolder("")
		if stackErr == nil {
			model, stackErr = classifier.Default()
		}
	})
	if stackErr != nil {
		t.Fatal(stackErr)
	}
	s, err := NewStack(lexHolder, model, counters, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return s
}

func mkPost(id, text string) *post.Post {
	return &post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Channel: post.Channel{ID: "c"}, Author: post.Account{ID: "a" + id}, Text: text}
}

// The posts are hand-made for these tests; none is a real post.
func TestRules(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		label     post.Label
		tier      post.Tier
		entity    string
		violating bool
		wantCase  bool
	}{
		{"canary", "test " + Canary + " end", post.Propaganda, post.TierPromotional, "", true, true},
		{"official claim", "بفضل الله تعالى تمكن جنود الخلافة من تفجير عبوة ناسفة على آلية للمرتدين ولله الحمد", post.Propaganda, post.TierOfficial, "isis", true, true},
		{"supporter stance", "الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة", post.Propaganda, post.TierPromotional, "isis", true, true},
		{"province entity", "ولاية سيناء تقبل الله الاستشهادي", post.Propaganda, post.TierPromotional, "isis-sinai", true, true},
		{"recruitment", "انفروا إلى أرض الخلافة يا شباب، تواصل خاص على تلغرام", post.Recruitment, post.TierPromotional, "isis", true, true},
		{"threat", "@enemy أنت التالي يا عدو الله، سنذبحكم يا مرتدين", post.Threat, post.TierThreat, "", true, true},
		{"incitement", "يا جنود الخلافة حان الوقت للهجوم، اقتلوهم حيث وجدتموهم", post.Incitement, post.TierPromotional, "isis", true, true},
		{"instruction", "دورة المتفجرات لأنصار الدولة الإسلامية: صناعة العبوات خطوة بخطوة", post.Instruction, post.TierPromotional, "isis", true, true},
		{"financing", "ادعموا المجاهدين في دولة الخلافة، الجهاد بالمال، محفظة بيتكوين", post.Financing, post.TierPromotional, "isis", true, true},
		{"news", "عاجل | قال مصدر أمني إن تنظيم داعش هاجم نقطة تفتيش للجيش في صلاح الدين", post.News, post.TierNone, "", false, false},
		{"quoted supporter naming in news", "أفادت وكالة رويترز بأن تنظيم داعش، الذي يسمي نفسه \"الدولة الإسلامية\"، تبنى الهجوم ورفع شعار \"باقية وتتمدد\"", post.News, post.TierNone, "", false, false},
		{"counter speech", "ندعو المواطنين إلى الإبلاغ عن الحسابات التي تنشر الفكر المتطرف لتنظيم داعش", post.CounterSpeech, post.TierNone, "", false, false},
		{"pious formulas alone", "نجحت في الامتحان بفضل الله تعالى ولله الحمد والشكر لأهلي", post.Unrelated, post.TierNone, "", false, false},
		{"unrelated", "مباراة الهلال والنصر اليوم في الرياض والجو جميل", post.Unrelated, post.TierNone, "", false, false},
	}
	s := newStack(t, &MemCounters{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := s.Check(mkPost(tt.name, tt.text))
			if v.Label != tt.label || v.Tier != tt.tier || v.Violating != tt.violating || v.Entity != tt.entity {
				t.Errorf("got %s tier %d entity %q violating %v (reasons %v); want %s tier %d entity %q violating %v",
					v.Label, v.Tier, v.Entity, v.Violating, v.Reasons, tt.label, tt.tier, tt.entity, tt.violating)
			}
			if (v.Case != nil) != tt.wantCase {
				t.Fatalf("case %+v, want case %v", v.Case, tt.wantCase)
			}
			if v.Case != nil && (v.Case.Status != post.CaseOpen || v.Case.Label != v.Label || v.Case.Reason == "") {
				t.Errorf("case %+v is not an open case for %s", v.Case, v.Label)
			}
			if v.Violating && !hasRulesSignal(v.Signals) {
				t.Errorf("violating verdict without a rules signal: %+v", v.Signals)
			}
		})
	}
}

func hasRulesSignal(ss []post.Signal) bool {
	for _, s := range ss {
		if s.Detector == "rules" && strings.HasPrefix(s.Explanation, "rules: ") {
			return true
		}
	}
	return false
}

func TestEngineDedupAndErrors(t *testing.T) {
	failing := errors.New("boom")
	e := &Engine{
		Rules: []PostRule{
			func(c *Context, p *post.Post) error {
				c.AddLabel(post.Propaganda, post.TierPromotional, "isis", "a")
				c.ProposeCase("x")
				return nil
			},
			func(c *Context, p *post.Post) error { return failing },
			func(c *Context, p *post.Post) error {
				c.AddLabel(post.Propaganda, post.TierPromotional, "isis", "a")
				c.AddLabel(post.Threat, post.TierThreat, "", "t")
				c.ProposeCase("x")
				return nil
			},
		},
		Names: []string{"one", "fails", "three"},
	}
	v := e.Run(&Context{Post: mkPost("1", "x")})
	if v.Label != post.Threat || v.Tier != post.TierThreat || len(v.Reasons) != 2 || v.Case == nil || v.Case.Reason != "x" {
		t.Errorf("verdict %+v: want threat first, two reasons, one case reason", v)
	}
}

func TestRepeatAuthor(t *testing.T) {
	c := &MemCounters{}
	s := newStack(t, c)
	for i := range 4 {
		p := mkPost("r", "الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة")
		p.ID = string(rune('a' + i))
		s.Check(p)
	}
	now := s.Now()
	if n := c.Count(keyFlagged+"telegram:ar", now.Add(-time.Hour)); n != 4 {
		t.Errorf("flagged count %d, want 4", n)
	}
	if n := c.Count(keyPosts+"telegram:ar", now.Add(time.Hour)); n != 0 {
		t.Errorf("count after now %d, want 0", n)
	}
}

func TestMemCounters(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name  string
		adds  []time.Duration
		since time.Duration
		want  int
	}{
		{"older events forgotten", []time.Duration{0, 30 * time.Minute, 2 * time.Hour}, 0, 1},
		{"in window", []time.Duration{0, 10 * time.Minute, 50 * time.Minute}, 0, 3},
		{"since cuts", []time.Duration{0, 10 * time.Minute, 50 * time.Minute}, 20 * time.Minute, 1},
		{"out of order", []time.Duration{50 * time.Minute, 0, 10 * time.Minute, 50 * time.Minute}, 5 * time.Minute, 3},
		{"nothing after", []time.Duration{0, 10 * time.Minute}, 2 * time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &MemCounters{Window: time.Hour}
			for _, d := range tt.adds {
				c.Add("k", at(d))
			}
			if n := c.Count("k", at(tt.since)); n != tt.want {
				t.Errorf("count %d, want %d", n, tt.want)
			}
		})
	}
}

// TestMemCountersBounded checks that memory follows keys and time slots,
// not events, and that keys gone quiet are forgotten.
func TestMemCountersBounded(t *testing.T) {
	c := &MemCounters{Window: time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		c.Add("busy", t0.Add(time.Duration(i)*100*time.Millisecond))
	}
	if n := len(c.keys["busy"]); n > counterBuckets {
		t.Errorf("%d buckets for one key, want at most %d", n, counterBuckets)
	}
	if n := c.Count("busy", t0.Add(9999*time.Second)); n < 1 || n > 10+int(time.Hour/counterBuckets/(100*time.Millisecond)) {
		t.Errorf("count of the last second %d, want it exact to a bucket", n)
	}
	c.Add("quiet", t0)
	later := t0.Add(3 * time.Hour)
	for i := range sweepEvery {
		c.Add("busy", later.Add(time.Duration(i)*time.Millisecond))
	}
	if _, ok := c.keys["quiet"]; ok {
		t.Error("a key with no event in the window is still kept after a sweep")
	}
}

func TestServicePostsSkipped(t *testing.T) {
	p := mkPost("s", Canary)
	p.Kind = post.Service
	if v := newStack(t, nil).Check(p); v.Violating {
		t.Errorf("service post flagged: %+v", v)
	}
}

// verdictCase is one hand-made post (none is a real post) and the label the
// stack must give it.
type verdictCase struct {
	name      string
	text      string
	label     post.Label
	violating bool
}

func runVerdicts(t *testing.T, tests []verdictCase) {
	t.Helper()
	s := newStack(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := s.Check(mkPost(tt.name, tt.text))
			if v.Label != tt.label || v.Violating != tt.violating {
				t.Errorf("got %s violating %v (reasons %v, score %.3f); want %s violating %v", v.Label, v.Violating, v.Reasons, v.Score, tt.label, tt.violating)
			}
		})
	}
}

// TestFinancing covers donation appeals for fighters in Arabic and English
// with and without the group's naming, and the charities, sermons, crypto
// adverts and news that share their words. The posts are hand-made.
func TestFinancing(t *testing.T) {
	runVerdicts(t, []verdictCase{
		{"equipping campaign, wallet in DM", "حملة تجهيز المجاهدين مستمرة، الجهاد بالمال واجب على القاعدين، عنوان المحفظة في الخاص", post.Financing, true},
		{"raiders, monero via admin", "جهزوا غزاة في سبيل الله، للتبرع بعملة مونيرو راسلوا المشرف", post.Financing, true},
		{"western union", "ادعموا المجاهدين عبر ويسترن يونيون والتفاصيل في الخاص", post.Financing, true},
		{"caliphate soldiers, no channel", "تبرعوا لجنود الخلافة فالجهاد بالمال لا يقل عن الجهاد بالنفس", post.Financing, true},
		{"english btc address", "Fund the mujahideen: send BTC to the wallet address below, every coin equips a brother", post.Financing, true},
		{"english usdt in dm", "Support the mujahideen with your money, USDT accepted, details in DM", post.Financing, true},
		{"english jihad with wealth", "Jihad with your wealth is an obligation for those who stayed behind. Bitcoin wallet on request", post.Financing, true},
		{"charity takes bitcoin", "تبرعوا لمستشفى سرطان الأطفال، ونقبل التبرعات عبر محفظة بيتكوين", post.Unrelated, false},
		{"crypto advert", "أفضل محفظة بيتكوين لحفظ عملاتك الرقمية، التفاصيل في الخاص", post.Unrelated, false},
		{"sermon quotes the hadith", "قال رسول الله صلى الله عليه وسلم: من جهز غازيا في سبيل الله فقد غزا، ومن خلف غازيا في أهله بخير فقد غزا", post.Unrelated, false},
		{"english charity", "Donate to the flood relief fund, we accept bitcoin and PayPal", post.Unrelated, false},
		{"news on crypto financing", "أفادت وزارة الخزانة الأمريكية بأن تنظيم داعش جمع تبرعات بعملة مونيرو تحت شعار \"جهزوا غازيا\"", post.News, false},
	})
}

// TestReligiousSpeech checks that everyday religious speech, verses about
// fighting quoted in sermons and history lessons included, is not flagged,
// while supporters' supplications for the group still are. The posts are
// hand-made and in none of the classifier's data files.
func TestReligiousSpeech(t *testing.T) {
	runVerdicts(t, []verdictCase{
		{"friday greeting", "جمعة مباركة يا أهل الخير، أكثروا من الصلاة على النبي في هذا اليوم", post.Unrelated, false},
		{"dua for parents", "اللهم ارحم والدي واغفر لهما وأسكنهما الفردوس الأعلى", post.Unrelated, false},
		{"patience verse", "قال تعالى: وبشر الصابرين الذين إذا أصابتهم مصيبة قالوا إنا لله وإنا إليه راجعون", post.Unrelated, false},
		{"fighting verse in a lesson", "في درس التفسير شرح الشيخ قوله تعالى: كتب عليكم القتال وهو كره لكم، وبين أنه نزل في الدفاع عن المدينة", post.Unrelated, false},
		{"history of a battle", "غزوة الخندق درس في الصبر والثبات حين حاصرت الأحزاب المدينة وحفر المسلمون الخندق", post.Unrelated, false},
		{"ramadan wish", "رمضان مبارك عليكم وعلى أهلكم، أعاده الله علينا بالخير والبركة", post.Unrelated, false},
		{"eid wish", "عيدكم مبارك وتقبل الله منا ومنكم صالح الأعمال", post.Unrelated, false},
		{"charity hadith", "قال النبي صلى الله عليه وسلم: الصدقة برهان، فلا تنسوا فقراء الحي في هذا البرد", post.Unrelated, false},
		{"thanks with claim formulas", "افتتحنا عيادتنا الجديدة بفضل الله تعالى، ولله الحمد والمنة، نسأل الله القبول والتوفيق", post.Unrelated, false},
		{"supporters' supplication", "اللهم انصر جنود الخلافة في ولاية سيناء وثبت أقدامهم", post.Propaganda, true},
	})
}
