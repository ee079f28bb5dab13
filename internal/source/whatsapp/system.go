package whatsapp

import (
	"regexp"
	"strings"
	"unicode"
)

// class is what a chat line is, beyond its text.
type class struct {
	service bool
	group   bool   // the line shows that the chat is a group
	actor   string // who joined, left, created..., when the line names them
	deleted bool
	omitted string // media kind of a "media omitted" placeholder, else ""
}

// matchForm is the form system text is compared in: no direction marks, no
// Arabic short vowels or tatweel, one alef, no surrounding blanks. It is
// used for matching only; posts keep the text as exported.
func matchForm(s string) string {
	f, _ := formMap(s)
	return f
}

// formMap returns matchForm(s) and, for every byte of it plus its end, the
// offset in s it came from, so that a name found in the form can be cut
// from the original text unchanged.
func formMap(s string) (string, []int) {
	var b strings.Builder
	at := make([]int, 0, len(s)+1)
	for i, r := range s {
		switch {
		case isMark(r), r >= '\u064b' && r <= '\u0652', r == '\u0640':
			continue
		case r == 'أ' || r == 'إ' || r == 'آ':
			r = 'ا'
		case unicode.IsSpace(r) || isBlank(r):
			if b.Len() == 0 {
				continue
			}
		}
		n := b.Len()
		b.WriteRune(r)
		for range b.Len() - n {
			at = append(at, i)
		}
	}
	f := b.String()
	end := strings.TrimRightFunc(f, func(r rune) bool { return unicode.IsSpace(r) || isBlank(r) })
	if len(end) < len(at) {
		at = append(at[:len(end)], at[len(end)])
	} else {
		at = append(at, len(s))
	}
	return end, at
}

// systemRule recognises one kind of system line. Patterns are written with
// Arabic as WhatsApp shows it and compiled in matchForm; the group named
// "actor", when present, is who did it.
type systemRule struct {
	re    *regexp.Regexp
	group bool
}

func rule(group bool, pattern string) systemRule {
	return systemRule{re: regexp.MustCompile("(?i)" + matchForm(pattern)), group: group}
}

// systemRules are tried in order. Arabic system lines put the verb first
// ("أضاف أبو محمد فلان"), so with two names and no marker between them the
// actor cannot be told from the object; those rules name no actor.
var systemRules = []systemRule{
	rule(false, `^messages (and calls )?(to this (group|chat) )?(are|were) (now )?(secured with )?end-to-end encrypt`),
	rule(false, `^الرسائل.*(مشفرة|بالتشفير)`),

	rule(true, `^(?P<actor>.+?) created (group|this group)`),
	rule(true, `^(?P<actor>.+?) joined using (this|a|the) .*link`),
	rule(true, `^(?P<actor>.+?) (added|removed) .+$`),
	rule(true, `^(?P<actor>.+?) left$`),
	rule(true, `^(?P<actor>.+?) (changed|deleted) (the subject|this group's|the group)`),
	rule(true, `^you're now an admin`),
	rule(false, `^your security code with (?P<actor>.+?) changed`),
	rule(false, `^(?P<actor>.+?) changed (their phone number|to )`),

	rule(true, `^أنشأت (ال)?مجموعة`),
	rule(true, `^أنشأ (?P<actor>.+?) (ال)?مجموعة`),
	rule(true, `^(?P<actor>.+?) أنشأ (ال)?مجموعة`),
	rule(true, `^انضمت? (?P<actor>.+?) (باستخدام|بواسطة|عبر|من خلال) رابط`),
	rule(true, `^(?P<actor>.+?) انضمت? (باستخدام|بواسطة|عبر|من خلال) رابط`),
	rule(true, `^أضافك (?P<actor>.+)$`),
	rule(true, `^(أضاف|أضافت|أضفت|قمت بإضافة|أزال|أزالت|أزلت|قمت بإزالة) .+$`),
	rule(true, `^(?P<actor>.+?) (أضاف|أضافت|أزال|أزالت) .+$`),
	rule(true, `^(غادرت|لقد غادرت)$`),
	rule(true, `^غادرت? (?P<actor>.+)$`),
	rule(true, `^(?P<actor>.+?) غادرت?$`),
	rule(true, `^غيرت? (?P<actor>.+?) (اسم المجموعة|الموضوع|صورة المجموعة|رمز المجموعة|وصف المجموعة)`),
	rule(true, `^(?P<actor>.+?) غيرت? (اسم المجموعة|الموضوع|صورة المجموعة|رمز المجموعة|وصف المجموعة)`),
	rule(false, `^تم تغيير رمز الامان`),
}

// deletedTexts are the placeholders of a deleted message, in matchForm
// without a final full stop.
var deletedTexts = formSet(
	"this message was deleted", "you deleted this message",
	"تم حذف هذه الرسالة", "لقد حذفت هذه الرسالة", "حذفت هذه الرسالة",
)

// omittedKinds maps "<kind> omitted" and "لم يتم إدراج <kind>" to a media
// kind; "<Media omitted>" and "<الوسائط غير مدرجة>" say no kind.
var omittedKinds = map[string]string{
	"image": "photo", "video": "video", "audio": "audio", "sticker": "sticker",
	"gif": "animation", "document": "file", "media": "file",
	matchForm("الصورة"): "photo", matchForm("صورة"): "photo",
	matchForm("الفيديو"): "video", matchForm("فيديو"): "video",
	matchForm("الصوت"): "audio", matchForm("الملف الصوتي"): "audio", matchForm("المقطع الصوتي"): "audio",
	matchForm("الملصق"): "sticker", matchForm("ملصق"): "sticker",
	matchForm("ملف gif"): "animation",
	matchForm("المستند"): "file", matchForm("مستند"): "file", matchForm("الملف"): "file", matchForm("الوسائط"): "file",
}

var (
	omittedPrefix = matchForm("لم يتم إدراج") + " "
	mediaOmitted  = formSet("<media omitted>", "<الوسائط غير مدرجة>", "<تم استبعاد الوسائط>")
)

func formSet(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[strings.ToLower(matchForm(s))] = true
	}
	return m
}

// maxPlaceholder bounds the length of the placeholder texts (deleted,
// omitted) with room for direction marks; longer texts are not compared.
const maxPlaceholder = 96

// placeholderWords occur in every deleted or omitted placeholder; they
// spare the comparison for ordinary messages.
var placeholderWords = []string{"omitted", "deleted", "حذف", "إدراج", "ادراج", "الوسائط", "<"}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// classify tells system lines, deleted messages and media placeholders from
// messages. Android system lines have no sender. iOS writes them under the
// chat's name with the text behind a U+200E mark; without that mark a text
// like "Bob left" is an ordinary message.
func classify(h *header) class {
	if !h.hasAuthor {
		c := matchSystem(h.rest)
		c.service = true
		return c
	}
	if h.bracket && strings.HasPrefix(h.text, "\u200e") {
		if c, ok := matchSystemRule(h.text); ok {
			c.service = true
			return c
		}
	}
	first, _, _ := strings.Cut(h.text, "\n")
	if len(first) > maxPlaceholder || !containsAny(first, placeholderWords) {
		return class{}
	}
	form := strings.ToLower(strings.TrimSuffix(matchForm(first), "."))
	switch {
	case deletedTexts[form]:
		return class{service: true, deleted: true, actor: cleanName(h.author)}
	case mediaOmitted[form]:
		return class{omitted: "file"}
	}
	if kind, ok := strings.CutSuffix(form, " omitted"); ok && omittedKinds[kind] != "" {
		return class{omitted: omittedKinds[kind]}
	}
	if kind, ok := strings.CutPrefix(form, omittedPrefix); ok && omittedKinds[kind] != "" {
		return class{omitted: omittedKinds[kind]}
	}
	return class{}
}

func matchSystem(s string) class {
	c, _ := matchSystemRule(s)
	return c
}

func matchSystemRule(s string) (class, bool) {
	form, at := formMap(s)
	for _, r := range systemRules {
		m := r.re.FindStringSubmatchIndex(form)
		if m == nil {
			continue
		}
		c := class{group: r.group}
		if i := r.re.SubexpIndex("actor"); i > 0 && m[2*i] >= 0 {
			c.actor = cleanName(s[at[m[2*i]]:at[m[2*i+1]]])
		}
		return c, true
	}
	return class{}, false
}

// cleanName strips the marks WhatsApp wraps around names and numbers.
func cleanName(s string) string {
	return strings.TrimFunc(stripMarks(s), func(r rune) bool { return unicode.IsSpace(r) || isBlank(r) })
}
