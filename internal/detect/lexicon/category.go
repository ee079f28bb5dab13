package lexicon

import (
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
)

// Category says what a lexicon term is evidence of. The order of the
// constants is the order of Features and is stored by trained models: add new
// categories at the end.
type Category uint8

// Categories of lexicon entries. The first group is evidence of a violating
// label; OpponentNaming, NewsMarker, CounterSpeech and ResearchMarker are
// negative cues: they make a post more likely to be about the group than by it.
// Devotional marks ordinary religious speech, which supporters share with
// everyone: it is neither, and rules use it to ask for more than the
// classifier's religious vocabulary.
const (
	SupporterNaming Category = iota // the group's own names for itself: الدولة الإسلامية، ولاية سيناء
	OpponentNaming                  // names opponents and media use: داعش، تنظيم الدولة
	Honorific                       // titles and blessings supporters give: أمير المؤمنين، تقبله الله
	Slogan                          // باقية وتتمدد
	Slur                            // out-group names used as insults: الرافضة، المرتدين
	Outlet                          // official and supporter media: وكالة أعماق، النبأ
	ClaimFormula                    // wording of official attack claims: تمكن جنود الخلافة
	RecruitmentCue                  // البيعة، النفير، moving contact to closed apps
	IncitementCue                   // calls to attack
	ThreatCue                       // threats against named targets
	InstructionCue                  // attack-method and security manuals
	FinancingCue                    // donation requests
	NewsMarker                      // reporting verbs and formats: قال، أفاد، عاجل |
	CounterSpeech                   // calls to report accounts, refutation
	ResearchMarker                  // study, researcher, report: academic framing
	PaymentChannel                  // ways to pay: crypto wallets, "address in DM"; financing only with a cause
	Devotional                      // everyday religious formulas: اللهم، جمعة مباركة، قال تعالى; evidence of nothing by itself

	numCategories
)

// Categories lists every category in Features order.
var Categories = func() []Category {
	cs := make([]Category, numCategories)
	for i := range cs {
		cs[i] = Category(i)
	}
	return cs
}()

var categoryNames = [numCategories]string{
	SupporterNaming: "supporter_naming",
	OpponentNaming:  "opponent_naming",
	Honorific:       "honorific",
	Slogan:          "slogan",
	Slur:            "slur",
	Outlet:          "outlet",
	ClaimFormula:    "claim_formula",
	RecruitmentCue:  "recruitment",
	IncitementCue:   "incitement",
	ThreatCue:       "threat",
	InstructionCue:  "instruction",
	FinancingCue:    "financing",
	NewsMarker:      "news_marker",
	CounterSpeech:   "counter_speech",
	ResearchMarker:  "research",
	PaymentChannel:  "payment",
	Devotional:      "devotional",
}

// categoryLabels maps each category to the label it is evidence for.
var categoryLabels = [numCategories]post.Label{
	SupporterNaming: post.Propaganda,
	OpponentNaming:  post.News,
	Honorific:       post.Propaganda,
	Slogan:          post.Propaganda,
	Slur:            post.Propaganda,
	Outlet:          post.Propaganda,
	ClaimFormula:    post.Propaganda,
	RecruitmentCue:  post.Recruitment,
	IncitementCue:   post.Incitement,
	ThreatCue:       post.Threat,
	InstructionCue:  post.Instruction,
	FinancingCue:    post.Financing,
	NewsMarker:      post.News,
	CounterSpeech:   post.CounterSpeech,
	ResearchMarker:  post.Research,
	PaymentChannel:  post.Financing,
	Devotional:      post.Unrelated,
}

// String returns the name used in lexicon files.
func (c Category) String() string {
	if c < numCategories {
		return categoryNames[c]
	}
	return fmt.Sprintf("category(%d)", uint8(c))
}

// Label returns the taxonomy label the category is evidence for.
// OpponentNaming counts towards News: it is how media name the group.
func (c Category) Label() post.Label {
	if c < numCategories {
		return categoryLabels[c]
	}
	return post.Unrelated
}

// Violating reports whether the category is evidence of terrorist content
// (as opposed to a negative cue).
func (c Category) Violating() bool { return c.Label().Violating() }

// ParseCategory returns the category named s, as written in lexicon files.
func ParseCategory(s string) (Category, error) {
	for i, n := range categoryNames {
		if n == s {
			return Category(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownCategory, s)
}

// voice lists the categories that are evidence of the group's own voice:
// its names, honorifics, slogans, slurs, outlets, claim wording and calls to
// act. The pious formulas everyone says (Devotional) are not.
var voice = [...]Category{SupporterNaming, Honorific, Slogan, Slur, Outlet, ClaimFormula,
	RecruitmentCue, IncitementCue, ThreatCue, InstructionCue, FinancingCue}

// Evidence sums the unquoted weights of the group's voice in a Features
// vector: how much the lexicon says that a post speaks for the group. The
// rules and the classifier's calibration both read it, so that a post
// without evidence is the same post to both.
func Evidence(features []float32) float32 {
	var sum float32
	for _, c := range voice {
		sum += features[c]
	}
	return sum
}

// MinEvidence is the Evidence below which a post counts as having none: a
// lone weak term (بفضل الله، في بيتك) is how everyone writes.
const MinEvidence = 1
