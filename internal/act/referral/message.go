package referral

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

// Item is one referral as a platform reads it, in one language.
type Item struct {
	store.Referral
	Lang       string
	LabelName  string
	LabelDef   string
	TierName   string
	EntityName string
	LegalBasis string
	Reporter   Reporter
}

// item describes r in lang.
func (c *Config) item(r store.Referral, lang string) Item {
	it := Item{Referral: r, Lang: lang, LabelName: taxonomy.LabelName(r.Label, lang), LabelDef: taxonomy.LabelDefinition(r.Label, lang),
		TierName: taxonomy.TierName(r.Tier, lang), EntityName: r.Entity, LegalBasis: c.LegalBasis.In(lang), Reporter: c.Reporter}
	if reg, err := taxonomy.DefaultRegistry(); err == nil {
		if e, ok := reg.Get(r.Entity); ok {
			it.EntityName = e.NameEN
			if lang == "ar" {
				it.EntityName = e.NameAR
			}
		}
	}
	return it
}

// itemTemplates say one referral in each language. Every one cites the
// taxonomy label, tier, entity, legal basis and evidence hash.
var itemTemplates = map[string]*template.Template{
	"ar": template.Must(template.New("ar").Parse(`بلاغ رقم {{.ID}} (القضية {{.CaseID}}{{if gt .Round 1}}، البلاغ {{.Round}}{{end}}{{if .Escalation}}، تصعيد إلى المستضيف{{end}})
الرابط: {{.URL}}
التصنيف: {{.LabelName}} — {{.LabelDef}}
درجة الخطورة: {{.TierName}}
{{- if .EntityName}}
الكيان: {{.EntityName}}{{end}}
{{- if .LegalBasis}}
الأساس القانوني: {{.LegalBasis}}{{end}}
بصمة الدليل (SHA-256 للسجل الأصلي): {{.EvidenceHash}}
`)),
	"en": template.Must(template.New("en").Parse(`Referral {{.ID}} (case {{.CaseID}}{{if gt .Round 1}}, report {{.Round}}{{end}}{{if .Escalation}}, escalated to the host{{end}})
URL: {{.URL}}
Label: {{.LabelName}} — {{.LabelDef}}
Severity tier: {{.TierName}}
{{- if .EntityName}}
Entity: {{.EntityName}}{{end}}
{{- if .LegalBasis}}
Legal basis: {{.LegalBasis}}{{end}}
Evidence hash (SHA-256 of the original record): {{.EvidenceHash}}
`)),
}

// headers introduce a batch in each language.
var headers = map[string]string{
	"ar": "نبلغكم بالمحتوى الإرهابي التالي على خدمتكم (عدد العناصر: %d)، وقد صنّفه محلل وأكّده. نرجو إزالته وإفادتنا برقم البلاغ.\nالمُبلِّغ: %s\n",
	"en": "We report the following terrorist content on your service (items: %d), classified and confirmed by an analyst. Please remove them and tell us your ticket number.\nReporter: %s\n",
}

// Render is the text of r in lang.
func (c *Config) Render(r store.Referral, lang string) string {
	var b strings.Builder
	// The templates are fixed and their fields plain values: Execute
	// cannot fail.
	_ = itemTemplates[lang].Execute(&b, c.item(r, lang))
	return b.String()
}

// Message is the text of a batch of referrals to t: subject and body, in
// t's languages, in order.
func (c *Config) Message(t *Target, rs []store.Referral) (subject, body string) {
	var b strings.Builder
	reporter := c.Reporter.Name
	if c.Reporter.Email != "" {
		reporter += " <" + c.Reporter.Email + ">"
	}
	var subjects []string
	for i, lang := range t.Langs {
		if i > 0 {
			b.WriteString("\n----------------------------------------\n\n")
		}
		fmt.Fprintf(&b, headers[lang], len(rs), reporter)
		for _, r := range rs {
			b.WriteString("\n")
			b.WriteString(c.Render(r, lang))
		}
		subjects = append(subjects, subjectLine(lang, rs))
	}
	return strings.Join(subjects, " / "), b.String()
}

func subjectLine(lang string, rs []store.Referral) string {
	escalated := len(rs) > 0 && rs[0].Escalation
	switch {
	case lang == "ar" && escalated:
		return fmt.Sprintf("تصعيد: %d بلاغ عن محتوى إرهابي لم يُزل", len(rs))
	case lang == "ar":
		return fmt.Sprintf("بلاغ عن محتوى إرهابي (%d)", len(rs))
	case escalated:
		return fmt.Sprintf("Escalation: %d terrorist content referrals not acted on", len(rs))
	default:
		return fmt.Sprintf("Terrorist content referral (%d)", len(rs))
	}
}

// payloadItem is one referral in a webhook's JSON.
type payloadItem struct {
	ID           int64             `json:"id"`
	CaseID       int64             `json:"case_id"`
	URL          string            `json:"url"`
	Platform     post.Platform     `json:"platform"`
	Label        post.Label        `json:"label"`
	LabelName    Text              `json:"label_name"`
	Tier         post.Tier         `json:"tier"`
	Entity       string            `json:"entity,omitempty"`
	LegalBasis   Text              `json:"legal_basis,omitzero"`
	EvidenceHash string            `json:"evidence_sha256"`
	Round        int               `json:"round"`
	Escalation   bool              `json:"escalation,omitempty"`
	Text         map[string]string `json:"text"`
}

func (c *Config) payloadItem(t *Target, r store.Referral) payloadItem {
	it := payloadItem{ID: r.ID, CaseID: r.CaseID, URL: r.URL, Platform: r.Platform, Label: r.Label,
		LabelName: Text{AR: taxonomy.LabelName(r.Label, "ar"), EN: taxonomy.LabelName(r.Label, "en")}, Tier: r.Tier, Entity: r.Entity,
		LegalBasis: c.LegalBasis, EvidenceHash: r.EvidenceHash, Round: r.Round, Escalation: r.Escalation, Text: map[string]string{}}
	for _, lang := range t.Langs {
		it.Text[lang] = c.Render(r, lang)
	}
	return it
}
