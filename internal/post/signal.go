package post

import (
	"strings"
	"time"
)

// Label is a class of the project taxonomy (docs/taxonomy.md). Violating
// labels are the ones that can lead to a referral; the others describe
// relevant content that must not be reported.
type Label string

// The relevance/function axis of the taxonomy.
const (
	Propaganda    Label = "propaganda"
	Recruitment   Label = "recruitment"
	Incitement    Label = "incitement"
	Threat        Label = "threat"
	Instruction   Label = "instruction"
	Financing     Label = "financing"
	News          Label = "news"
	CounterSpeech Label = "counter_speech"
	Research      Label = "research"
	Unrelated     Label = "unrelated"
)

// Labels lists every label in display order.
var Labels = []Label{Propaganda, Recruitment, Incitement, Threat, Instruction, Financing, News, CounterSpeech, Research, Unrelated}

// Violating reports whether content with this label is terrorist content that
// may be referred to a platform.
func (l Label) Violating() bool {
	switch l {
	case Propaganda, Recruitment, Incitement, Threat, Instruction, Financing:
		return true
	}
	return false
}

// Valid reports whether l is a label of the taxonomy.
func (l Label) Valid() bool {
	for _, k := range Labels {
		if k == l {
			return true
		}
	}
	return false
}

// Tier is the severity tier, modelled on TCAP: 1 is the most severe. Zero
// means no tier (content that is not violating).
type Tier int

// Severity tiers.
const (
	TierNone        Tier = 0
	TierThreat      Tier = 1 // threat to life
	TierCrisis      Tier = 2 // attack livestream, manifesto
	TierOfficial    Tier = 3 // official propaganda of a designated entity
	TierPromotional Tier = 4 // supporter outlets, inspirational, instructional
)

// Span is a matched piece of text that explains a signal. Offsets are byte
// offsets into Post.Norm; Text is Norm[Start:End], which stored posts leave
// out (internal/store.EncodeDoc).
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text,omitempty"`
	Why   string `json:"why,omitempty"` // the lexicon entry, n-gram or rule that matched
	// Boxes are where the span's words stand in the image or video
	// keyframes the text was read from (internal/ocr); empty for text
	// posts.
	Boxes []Box `json:"boxes,omitempty"`
}

// Box is a rectangle of an image in pixels from its top-left corner;
// Frame numbers a video's keyframe (0 for an image).
type Box struct {
	Frame int `json:"frame,omitempty"`
	X     int `json:"x"`
	Y     int `json:"y"`
	W     int `json:"w"`
	H     int `json:"h"`
}

// Union returns the smallest box holding a and b (of a's frame).
func (a Box) Union(b Box) Box {
	x0, y0 := min(a.X, b.X), min(a.Y, b.Y)
	x1, y1 := max(a.X+a.W, b.X+b.W), max(a.Y+a.H, b.Y+b.H)
	return Box{Frame: a.Frame, X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// Signal is one detector's finding about a post.
type Signal struct {
	Detector    string  `json:"detector"` // lexicon, classifier, rules, hashbank, neardup, ...
	Label       Label   `json:"label"`
	Tier        Tier    `json:"tier,omitempty"`
	Entity      string  `json:"entity,omitempty"` // entity registry id, e.g. isis, isis-sinai, aq
	Score       float64 `json:"score"`            // 0..1
	Explanation string  `json:"explanation"`      // one sentence an analyst can read
	Spans       []Span  `json:"spans,omitempty"`
	// Ref points at what matched, for known-content detectors: a bank hash or
	// the key of the original post.
	Ref string `json:"ref,omitempty"`
	// Match is the bank entry a hash-bank signal is about.
	Match *Match `json:"match,omitempty"`
}

// Match is typed evidence of a hash-bank match: which entry of which bank a
// signal of the post matched, and how far apart they are.
type Match struct {
	Bank  string `json:"bank"`
	Entry int64  `json:"entry"`
	// Type is the signal type (md5, pdq, vpdq, text, ...).
	Type string `json:"type"`
	// Distance is in the type's unit (PDQ: differing bits); 0 for exact
	// types.
	Distance int `json:"distance"`
	// Threshold is the largest distance that counted as a match.
	Threshold int `json:"threshold"`
}

// CaseStatus is where a case stands in review.
type CaseStatus string

// Case states.
const (
	CaseOpen      CaseStatus = "open"
	CaseConfirmed CaseStatus = "confirmed" // an analyst agreed it violates
	CaseDismissed CaseStatus = "dismissed" // an analyst found it does not
	CaseReferred  CaseStatus = "referred"  // reported to the platform
	CaseRemoved   CaseStatus = "removed"   // the platform took it down
	CaseMerged    CaseStatus = "merged"    // folded into another case (Review.MergedInto)
)

// Case gathers what the rules decided about a post for an analyst to review.
// Rules only propose; every action that reaches a platform needs an analyst.
type Case struct {
	ID      int64      `json:"id"`
	PostKey string     `json:"post_key"`
	Label   Label      `json:"label"`
	Tier    Tier       `json:"tier"`
	Entity  string     `json:"entity,omitempty"`
	Score   float64    `json:"score"`
	Status  CaseStatus `json:"status"`
	Reason  string     `json:"reason"` // the rules that opened it
	// Group is the group key of a case that gathers several posts (a
	// near-duplicate cluster, one account's posts); empty for a case of one
	// post. Posts counts the posts in the case.
	Group     string    `json:"group,omitempty"`
	Posts     int       `json:"posts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Review is where analysts have taken the case.
	Review
}

// Kinds of case group: what gathers the posts of a case.
const (
	GroupAccount  = "account"  // the flagged posts of one account
	GroupRecycled = "recycled" // copies of one violating text
)

// AccountGroup is the group of an account's posts.
func AccountGroup(platform Platform, author string) string {
	return GroupAccount + "/" + string(platform) + "/" + author
}

// RecycledGroup is the group of the copies of the post with key.
func RecycledGroup(key string) string { return GroupRecycled + "/" + key }

// SplitGroup returns the kind of a group and what it names: for an account
// group its platform and id joined by '/', for a recycled group the
// original post's key.
func SplitGroup(group string) (kind, rest string) {
	kind, rest, _ = strings.Cut(group, "/")
	return kind, rest
}

// CaseProposal is a rule's request for an analyst to review a post. A
// proposal with a Group joins the open case of that group, so that a
// campaign of thousands of recycled posts is a few cases with counts.
type CaseProposal struct {
	PostKey string
	Label   Label
	Tier    Tier
	Entity  string
	Score   float64
	Reason  string
	Group   string
	At      time.Time
}
