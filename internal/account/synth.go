package account

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
)

// Patterns of re-creation the synthetic benchmark plants: how a removed
// account's successor differs from it.
const (
	PatternDigits   = "digit_suffix"    // abu_muhammad_2 -> abu_muhammad_27
	PatternSeparate = "separator_swap"  // abu_muhammad -> abu.muhammad, abuu_muhammad
	PatternTranslit = "transliteration" // abu_muhammad -> ابو_محمد, mohammed -> muhammad
	PatternAvatar   = "same_avatar"     // a new name, the same picture
	PatternLinks    = "same_links"      // a new name, the same invite link and site
	PatternTexts    = "recycled_texts"  // a new name, posting the same texts
)

// Patterns lists the re-creation patterns in the order the generator
// cycles through them.
var Patterns = []string{PatternDigits, PatternSeparate, PatternTranslit, PatternAvatar, PatternLinks, PatternTexts}

// name is one given name or nisba in its Latin spellings and in Arabic.
type name struct {
	latin  []string
	arabic string
}

// Hand-made: common Arabic given names and nisbas, the look-alike space
// in which innocents and supporters alike choose handles.
var givenNames = []name{
	{[]string{"muhammad", "mohammed", "mohamed", "mohamad"}, "محمد"}, {[]string{"ahmad", "ahmed"}, "احمد"},
	{[]string{"ali"}, "علي"}, {[]string{"umar", "omar"}, "عمر"}, {[]string{"khalid", "khaled"}, "خالد"},
	{[]string{"abdullah", "abdallah"}, "عبدالله"}, {[]string{"yusuf", "yousef", "youssef"}, "يوسف"},
	{[]string{"ibrahim", "ebrahim"}, "ابراهيم"}, {[]string{"hamza", "hamzah"}, "حمزه"}, {[]string{"usama", "osama"}, "اسامه"},
	{[]string{"hasan", "hassan"}, "حسن"}, {[]string{"hussein", "husain"}, "حسين"}, {[]string{"mustafa", "moustafa"}, "مصطفى"},
	{[]string{"bakr", "bakir"}, "بكر"}, {[]string{"zaid", "zayd"}, "زيد"}, {[]string{"talha", "talhah"}, "طلحه"},
	{[]string{"anas"}, "انس"}, {[]string{"bilal"}, "بلال"}, {[]string{"qasim", "kasim"}, "قاسم"}, {[]string{"tariq", "tarek"}, "طارق"},
	{[]string{"salman"}, "سلمان"}, {[]string{"jafar", "jaafar"}, "جعفر"}, {[]string{"muadh", "moaz"}, "معاذ"},
	{[]string{"suhaib", "sohaib"}, "صهيب"}, {[]string{"khattab"}, "خطاب"}, {[]string{"mansur", "mansour"}, "منصور"},
	{[]string{"nasser", "nasir"}, "ناصر"}, {[]string{"saleh", "salih"}, "صالح"}, {[]string{"ismail", "esmail"}, "اسماعيل"},
	{[]string{"harith", "hareth"}, "حارث"}, {[]string{"ayman"}, "ايمن"}, {[]string{"walid", "waleed"}, "وليد"},
	{[]string{"karim", "kareem"}, "كريم"}, {[]string{"faisal", "faysal"}, "فيصل"}, {[]string{"jabir", "jaber"}, "جابر"},
	{[]string{"rashid", "rashed"}, "راشد"}, {[]string{"mahmud", "mahmoud"}, "محمود"}, {[]string{"yasir", "yasser"}, "ياسر"},
	{[]string{"adnan"}, "عدنان"}, {[]string{"ziyad", "ziad"}, "زياد"},
}

var nisbas = []name{
	{[]string{"shami"}, "الشامي"}, {[]string{"iraqi"}, "العراقي"}, {[]string{"masri"}, "المصري"}, {[]string{"libi"}, "الليبي"},
	{[]string{"tunisi"}, "التونسي"}, {[]string{"maghribi"}, "المغربي"}, {[]string{"yemeni"}, "اليمني"}, {[]string{"hijazi"}, "الحجازي"},
	{[]string{"muhajir"}, "المهاجر"}, {[]string{"ansari"}, "الانصاري"}, {[]string{"khurasani"}, "الخراساني"}, {[]string{"somali"}, "الصومالي"},
	{[]string{"najdi"}, "النجدي"}, {[]string{"sudani"}, "السوداني"}, {[]string{"jazrawi"}, "الجزراوي"}, {[]string{"urduni"}, "الاردني"},
	{[]string{"kurdi"}, "الكردي"}, {[]string{"filastini"}, "الفلسطيني"}, {[]string{"halabi"}, "الحلبي"}, {[]string{"baghdadi"}, "البغدادي"},
}

// bioWords is the hand-made vocabulary of synthetic bios: neutral words, so
// that bios differ by which words they draw, not by content.
var bioWords = strings.Fields("الله الحمد طالب علم مهندس طبيب معلم اب ام اخ مدينة قرية كتاب شعر تاريخ رياضة كرة سفر صور حياة " +
	"امل صبر نور قلب دعاء الجنة وطن حب خير سلام عمل تجارة قناة متابعة حساب رسمي احتياطي جديد قديم يوميات قرآن حديث فقه لغة " +
	"اخبار تقنية برمجة تصميم فن موسيقى طبخ بيت عائلة اصدقاء جامعة مدرسة صبح مساء ليل نهار بحر جبل صحراء مطر شمس قمر نجم")

var synthPlatforms = []post.Platform{post.Telegram, post.X, post.RocketChat}

// Synthetic is a generated registry with ground truth: which account
// succeeds which removed one, and by which pattern.
type Synthetic struct {
	Profiles []Profile
	Removed  []Removal
}

// Removal is one removed account of a synthetic registry and its planted
// successor.
type Removal struct {
	Account   int // index into Profiles
	At        time.Time
	Successor int
	Pattern   string
}

// synthEpoch starts the synthetic year.
var synthEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type gen struct {
	r         *rand.Rand
	flags     []pdq.Hash // avatars many supporters share
	campaigns []uint64   // texts many supporters recycle
	sites     []string   // propaganda sites many supporters link
	popular   []string   // links ordinary accounts share
	rooms     []string   // groups supporters post in
}

// Generate builds n accounts over three platforms: about 2% supporters'
// accounts, each in two of 300 supporters' groups, of which a third are
// removed with a successor planted under one of Patterns (most successors
// return to one of the old groups), and innocents who share the same given
// names and kunyas (mohammed_ali, abu_muhammad), popular links, groups of
// their own, and now and then a quoted flagged text or a supporter's
// invite link. The same seed gives the same registry.
func Generate(n int, seed uint64) Synthetic {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for range 30 {
		g.flags = append(g.flags, g.hash())
	}
	for i := range 2000 {
		g.campaigns = append(g.campaigns, TextPrint(fmt.Sprintf("campaign text %d", i)))
	}
	for i := range 500 {
		g.sites = append(g.sites, fmt.Sprintf("site%d.example/%d", i, g.r.IntN(1000)))
	}
	for i := range 5000 {
		g.popular = append(g.popular, fmt.Sprintf("youtube.com/watch?v=pop%d", i))
	}
	for i := range 300 {
		g.rooms = append(g.rooms, fmt.Sprintf("telegram/ansar%d", i))
	}
	s := Synthetic{Profiles: make([]Profile, 0, n)}
	supporters := max(n/50, 12)
	removals := supporters / 3
	for i := 0; len(s.Profiles) < n; i++ {
		if i < supporters {
			s.Profiles = append(s.Profiles, g.supporter(len(s.Profiles)))
			continue
		}
		s.Profiles = append(s.Profiles, g.innocent(len(s.Profiles), s.Profiles[:supporters]))
	}
	for k := range min(removals, n-supporters) {
		i := k // supporters come first
		a := &s.Profiles[i]
		at := a.FirstSeen.Add(10*24*time.Hour + time.Duration(g.r.Float64()*float64(200*24*time.Hour)))
		a.LastSeen = at
		pat := Patterns[k%len(Patterns)]
		succ := g.successor(*a, pat, at)
		// The successor takes an innocent's slot, so that n stays the
		// number of accounts.
		slot := n - 1 - k
		if slot < supporters {
			break
		}
		succ.ID = s.Profiles[slot].ID
		s.Profiles[slot] = succ
		s.Removed = append(s.Removed, Removal{Account: i, At: at, Successor: slot, Pattern: pat})
	}
	return s
}

func (g *gen) hash() pdq.Hash {
	return pdq.Hash{g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64()}
}

// flip returns h with k random bits flipped: the same picture re-encoded.
func (g *gen) flip(h pdq.Hash, k int) pdq.Hash {
	for range k {
		b := g.r.IntN(256)
		h[b/64] ^= 1 << (b % 64)
	}
	return h
}

func (g *gen) pick(ns []name) name { return ns[g.r.IntN(len(ns))] }
func (g *gen) latin(n name) string { return n.latin[g.r.IntN(len(n.latin))] }
func (g *gen) digits() string      { return fmt.Sprint(g.r.IntN([]int{10, 100, 1000}[g.r.IntN(3)])) }
func (g *gen) seen() time.Time {
	return synthEpoch.Add(time.Duration(g.r.Float64() * float64(365*24*time.Hour)))
}
func (g *gen) platform() post.Platform { return synthPlatforms[g.r.IntN(len(synthPlatforms))] }
func (g *gen) id(i int) string         { return fmt.Sprintf("u%d", i) }

func (g *gen) bio() string {
	ws := make([]string, 6)
	for i := range ws {
		ws[i] = bioWords[g.r.IntN(len(bioWords))]
	}
	return strings.Join(ws, " ")
}

// supporter is a supporter's account: a kunya with a nisba, often a
// shared flag avatar, an invite link of its own, propaganda sites and
// flagged texts, a third of them recycled campaign texts.
func (g *gen) supporter(i int) Profile {
	first, nis := g.pick(givenNames), g.pick(nisbas)
	handle := "abu_" + g.latin(first) + "_" + nis.latin[0]
	if g.r.IntN(2) == 0 {
		handle += "_" + g.digits()
	}
	p := Profile{
		Platform: g.platform(), ID: g.id(i), Handle: handle,
		Name: "ابو " + first.arabic + " " + nis.arabic, Bio: g.bio(), FirstSeen: g.seen(),
	}
	switch v := g.r.IntN(10); {
	case v < 3:
		p.Avatar, p.HasAvatar = g.flip(g.flags[g.r.IntN(len(g.flags))], g.r.IntN(8)), true
	case v < 9:
		p.Avatar, p.HasAvatar = g.hash(), true
	}
	p.Links = []string{fmt.Sprintf("t.me/+inv%x", g.r.Uint64()), g.sites[g.r.IntN(len(g.sites))]}
	for range 5 {
		if g.r.IntN(3) == 0 {
			p.Texts = append(p.Texts, g.campaigns[g.r.IntN(len(g.campaigns))])
		} else {
			p.Texts = append(p.Texts, g.r.Uint64())
		}
	}
	p.Rooms = []string{g.rooms[g.r.IntN(len(g.rooms))], g.rooms[g.r.IntN(len(g.rooms))]}
	p.LastSeen = p.FirstSeen.Add(time.Duration(g.r.Float64() * float64(60*24*time.Hour)))
	return p
}

// innocent is an ordinary account: a given name with a surname or a
// kunya, digits often, popular links, and rarely a quoted flagged text or
// a supporter's invite link.
func (g *gen) innocent(i int, supporters []Profile) Profile {
	first, last := g.pick(givenNames), g.pick(givenNames)
	var handle, nm string
	switch v := g.r.IntN(10); {
	case v < 5:
		handle, nm = g.latin(first)+"_"+g.latin(last), first.arabic+" "+last.arabic
	case v < 7:
		nis := g.pick(nisbas)
		handle, nm = "abu_"+g.latin(first)+"_"+nis.latin[0], "ابو "+first.arabic+" "+nis.arabic
	case v < 8:
		handle, nm = "abu_"+g.latin(first), "ابو "+first.arabic
	default:
		handle, nm = fmt.Sprintf("user%x", g.r.Uint32()), g.latin(first)
	}
	if g.r.IntN(2) == 0 {
		handle += []string{"_", "", "."}[g.r.IntN(3)] + g.digits()
	}
	p := Profile{Platform: g.platform(), ID: g.id(i), Handle: handle, Name: nm, Bio: g.bio(), FirstSeen: g.seen()}
	if g.r.IntN(10) < 6 {
		p.Avatar, p.HasAvatar = g.hash(), true
	}
	p.Links = []string{g.popular[g.r.IntN(len(g.popular))], fmt.Sprintf("blog%x.example", g.r.Uint32())}
	p.Rooms = []string{fmt.Sprintf("x/group%d", g.r.IntN(20_000)), fmt.Sprintf("telegram/group%d", g.r.IntN(20_000))}
	if len(supporters) > 0 {
		s := &supporters[g.r.IntN(len(supporters))]
		switch g.r.IntN(500) {
		case 0:
			p.Texts = append(p.Texts, s.Texts[g.r.IntN(len(s.Texts))])
		case 1:
			p.Links = append(p.Links, s.Links[0])
		}
	}
	p.LastSeen = p.FirstSeen.Add(time.Duration(g.r.Float64() * float64(60*24*time.Hour)))
	return p
}

// successor re-creates the removed account a under pattern, first seen
// days after the removal at.
func (g *gen) successor(a Profile, pattern string, at time.Time) Profile {
	s := Profile{Platform: a.Platform, Bio: g.bio()}
	if g.r.IntN(10) < 3 {
		s.Platform = g.platform()
	}
	gap := time.Duration(g.r.ExpFloat64() * float64(2*24*time.Hour))
	s.FirstSeen, s.LastSeen = at.Add(gap), at.Add(gap+30*24*time.Hour)
	fresh := func() {
		first, nis := g.pick(givenNames), g.pick(nisbas)
		s.Handle = "abu_" + g.latin(first) + "_" + nis.latin[0] + "_" + g.digits()
		s.Name = "ابو " + first.arabic + " " + nis.arabic
	}
	base := strings.TrimRight(a.Handle, "0123456789_.")
	switch pattern {
	case PatternDigits:
		s.Handle, s.Name = base+[]string{"_", ""}[g.r.IntN(2)]+g.digits(), a.Name
	case PatternSeparate:
		h := strings.ReplaceAll(base, "_", []string{".", "", "__"}[g.r.IntN(3)])
		if i := strings.IndexAny(h, "aeiou"); i >= 0 && g.r.IntN(2) == 0 {
			h = h[:i+1] + h[i:] // a doubled vowel
		}
		s.Handle, s.Name = h, a.Name
	case PatternTranslit:
		s.Handle, s.Name = transliterate(base, g), a.Name
	case PatternAvatar:
		fresh()
		if a.HasAvatar {
			s.Avatar, s.HasAvatar = g.flip(a.Avatar, g.r.IntN(12)), true
		} else {
			s.Bio = a.Bio // a supporter without a picture keeps the bio
		}
	case PatternLinks:
		fresh()
		s.Links = slices.Clone(a.Links)
	case PatternTexts:
		fresh()
		for _, t := range a.Texts[:3] {
			s.Texts = append(s.Texts, t)
		}
	}
	// What else carries over, now and then: the bio, a link, a text.
	if g.r.IntN(10) < 3 {
		s.Bio = a.Bio
	}
	if pattern != PatternLinks && g.r.IntN(10) < 2 {
		s.Links = append(s.Links, a.Links[0])
	}
	if pattern != PatternTexts && g.r.IntN(10) < 2 {
		s.Texts = append(s.Texts, a.Texts[g.r.IntN(len(a.Texts))])
	}
	// Most return to one of the groups they were in.
	if g.r.IntN(10) < 7 {
		s.Rooms = append(s.Rooms, a.Rooms[g.r.IntN(len(a.Rooms))])
	}
	if !s.HasAvatar && g.r.IntN(10) < 6 {
		s.Avatar, s.HasAvatar = g.hash(), true
	}
	return s
}

// transliterate writes the Latin parts of a handle in Arabic, or the other
// way round for an Arabic handle, and respells given names.
func transliterate(h string, g *gen) string {
	parts := strings.Split(h, "_")
	arabicOut := g.r.IntN(2) == 0
	for i, p := range parts {
		for _, n := range append(slices.Clone(givenNames), nisbas...) {
			if slices.Contains(n.latin, p) {
				if arabicOut {
					parts[i] = strings.TrimPrefix(n.arabic, "ال")
				} else {
					parts[i] = g.latin(n)
				}
			}
		}
		if arabicOut && p == "abu" {
			parts[i] = "ابو"
		}
	}
	return strings.Join(parts, "_")
}

// Result is the outcome of a successor benchmark.
type Result struct {
	Accounts  int     `json:"accounts"`
	Queries   int     `json:"queries"`
	Precision float64 `json:"precision"` // top candidate is the successor, over queries with a candidate
	Recall    float64 `json:"recall"`    // successor among the top 5
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	BuildS    float64 `json:"build_s"`
	// ByPattern is recall@5 per re-creation pattern.
	ByPattern map[string]float64 `json:"by_pattern"`
}

// Evaluate indexes s and asks for the successors of up to maxQueries of
// its removed accounts, timing each query.
func Evaluate(s Synthetic, maxQueries int) Result {
	start := time.Now()
	ix := NewIndex()
	const batch = 10_000
	for i := 0; i < len(s.Profiles); i += batch {
		ix.Add(s.Profiles[i:min(i+batch, len(s.Profiles))]...)
	}
	res := Result{Accounts: len(s.Profiles), BuildS: math.Round(time.Since(start).Seconds()*10) / 10, ByPattern: map[string]float64{}}
	qs := s.Removed
	if len(qs) > maxQueries {
		qs = qs[:maxQueries]
	}
	var took []float64
	hit, top, answered := 0, 0, 0
	perHit, perN := map[string]int{}, map[string]int{}
	for _, r := range qs {
		q := s.Profiles[r.Account]
		want := s.Profiles[r.Successor].Key()
		t0 := time.Now()
		cs := ix.Successors(q, r.At, 5)
		took = append(took, float64(time.Since(t0).Microseconds())/1000)
		perN[r.Pattern]++
		if len(cs) > 0 {
			answered++
			if Key(cs[0].Platform, cs[0].ID) == want {
				top++
			}
		}
		for _, c := range cs {
			if Key(c.Platform, c.ID) == want {
				hit++
				perHit[r.Pattern]++
				break
			}
		}
	}
	res.Queries = len(qs)
	if len(qs) > 0 {
		res.Recall = round3(float64(hit) / float64(len(qs)))
	}
	if answered > 0 {
		res.Precision = round3(float64(top) / float64(answered))
	}
	for p, n := range perN {
		res.ByPattern[p] = round3(float64(perHit[p]) / float64(n))
	}
	slices.Sort(took)
	res.P50ms, res.P99ms = quantile(took, 0.5), quantile(took, 0.99)
	return res
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return round3(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))])
}
