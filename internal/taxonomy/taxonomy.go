// Package taxonomy gives the project's labels and severity tiers their
// Arabic and English names and definitions, and holds the entity registry:
// the designated groups, their provinces and affiliates, the names their
// supporters and their opponents use, their media outlets and the sanctions
// lists that designate them. docs/taxonomy.md explains both axes.
package taxonomy

import "github.com/raqib-project/raqib/internal/post"

// Languages with display names.
const (
	Arabic  = "ar"
	English = "en"
)

type text struct{ ar, en string }

func (t text) in(lang string) string {
	if lang == Arabic {
		return t.ar
	}
	return t.en
}

var labelNames = map[post.Label]text{
	post.Propaganda:    {"دعاية", "Propaganda"},
	post.Recruitment:   {"تجنيد", "Recruitment"},
	post.Incitement:    {"تحريض", "Incitement"},
	post.Threat:        {"تهديد", "Threat"},
	post.Instruction:   {"تعليمات", "Instruction"},
	post.Financing:     {"تمويل", "Financing"},
	post.News:          {"أخبار", "News"},
	post.CounterSpeech: {"خطاب مضاد", "Counter-speech"},
	post.Research:      {"بحث", "Research"},
	post.Unrelated:     {"غير ذي صلة", "Unrelated"},
}

var labelDefinitions = map[post.Label]text{
	post.Propaganda: {
		"محتوى يمجّد الجماعة أو يروّج لها أو ينقل إصداراتها: تسميتها بأسمائها عند أنصارها، ألقاب التبجيل، الشعارات، تبنّي العمليات ونشر إصدارات مؤسساتها الإعلامية.",
		"Content that glorifies or promotes the group or relays its releases: its supporters' names for it, honorifics, slogans, attack claims and the output of its media outlets.",
	},
	post.Recruitment: {
		"محتوى يطلب الانضمام أو المبايعة أو الهجرة أو النفير، أو ينقل التواصل إلى قنوات مغلقة بهدف الاستقطاب.",
		"Content that solicits joining, pledging allegiance, emigrating or mobilising, or moves contact to closed channels to recruit.",
	},
	post.Incitement: {
		"محتوى يدعو إلى ارتكاب عمل إرهابي أو يمجّد منفذيه بما يشجّع على تكراره.",
		"Content that calls for a terrorist act or glorifies its perpetrators in a way that encourages repetition.",
	},
	post.Threat: {
		"محتوى يهدد بارتكاب عمل إرهابي ضد هدف أو فئة أو مكان بعينه.",
		"Content that threatens a terrorist act against a named target, group or place.",
	},
	post.Instruction: {
		"محتوى يعلّم أو يدلّ على صنع الأسلحة أو المتفجرات أو أساليب تنفيذ الهجمات أو التخفي لأغراض إرهابية.",
		"Content that teaches or points to making weapons or explosives, attack methods, or evasion for terrorist purposes.",
	},
	post.Financing: {
		"محتوى يطلب المال أو الدعم المادي للجماعة أو لمقاتليها أو لعائلاتهم، أو ينشر وسائل التحويل إليها.",
		"Content that solicits money or material support for the group, its fighters or their families, or publishes ways to send it.",
	},
	post.News: {
		"تقارير وتحليلات صحفية عن الجماعة، ولو اقتبست أسماءها وشعاراتها؛ لا تُبلَّغ.",
		"Journalistic reporting and analysis about the group, even when it quotes its names and slogans; not reported.",
	},
	post.CounterSpeech: {
		"محتوى يفنّد فكر الجماعة أو يحذّر منها أو يدعو إلى الإبلاغ عن حساباتها؛ لا يُبلَّغ.",
		"Content that refutes the group, warns against it or asks users to report its accounts; not reported.",
	},
	post.Research: {
		"دراسات وأبحاث وتوثيق أكاديمي أو حقوقي؛ لا يُبلَّغ.",
		"Academic, policy or human-rights research and documentation; not reported.",
	},
	post.Unrelated: {
		"محتوى لا علاقة له بالجماعات المصنّفة، بما فيه المحتوى الديني العادي والسياسي والرياضي.",
		"Content unrelated to designated groups, including ordinary religious, political and sports content.",
	},
}

var tierNames = map[post.Tier]text{
	post.TierNone:        {"بلا مستوى", "No tier"},
	post.TierThreat:      {"المستوى 1: تهديد للحياة", "Tier 1: threat to life"},
	post.TierCrisis:      {"المستوى 2: أزمة", "Tier 2: crisis"},
	post.TierOfficial:    {"المستوى 3: دعاية رسمية لكيان مصنّف", "Tier 3: official propaganda of a designated entity"},
	post.TierPromotional: {"المستوى 4: ترويج", "Tier 4: promotional"},
}

var tierDefinitions = map[post.Tier]text{
	post.TierNone: {
		"محتوى غير مخالف.",
		"Content that is not violating.",
	},
	post.TierThreat: {
		"تهديد وشيك أو محدد للحياة: تهديد يسمّي هدفاً، أو دعوة إلى هجوم بعينه.",
		"An imminent or specific threat to life: a threat naming a target, or a call to a specific attack.",
	},
	post.TierCrisis: {
		"محتوى أزمة: بث مباشر لهجوم، أو بيان منفّذ، أو تسجيلاته في الساعات الأولى.",
		"Crisis content: an attack livestream, the attacker's manifesto, or its recordings in the first hours.",
	},
	post.TierOfficial: {
		"دعاية رسمية لكيان مصنّف: إصدارات مؤسساته وبيانات تبنّيه وصحفه.",
		"Official propaganda of a designated entity: its outlets' releases, claims of responsibility and newspapers.",
	},
	post.TierPromotional: {
		"محتوى ترويجي غير رسمي: مؤسسات الأنصار، المحتوى الملهِم أو التعليمي، المناصرة الفردية.",
		"Unofficial promotional content: supporter outlets, inspirational or instructional material, individual support.",
	},
}

// LabelName returns the display name of l in lang ("ar" or "en"; other
// languages get English). Unknown labels are returned as they are.
func LabelName(l post.Label, lang string) string {
	if t, ok := labelNames[l]; ok {
		return t.in(lang)
	}
	return string(l)
}

// LabelDefinition returns the one-sentence definition of l in lang, or "".
func LabelDefinition(l post.Label, lang string) string {
	return labelDefinitions[l].in(lang)
}

// TierName returns the display name of t in lang.
func TierName(t post.Tier, lang string) string {
	if n, ok := tierNames[t]; ok {
		return n.in(lang)
	}
	return tierNames[post.TierNone].in(lang)
}

// TierDefinition returns the definition of t in lang, or "".
func TierDefinition(t post.Tier, lang string) string {
	return tierDefinitions[t].in(lang)
}
