package web

import (
	"maps"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/text/language"

	"github.com/raqib-project/raqib/internal/taxonomy"
)

// langCookie keeps the language an analyst chose with ?lang= across pages.
const langCookie = "raqib_lang"

// langs are the UI languages; the first is the default.
var langs = []string{taxonomy.Arabic, taxonomy.English}

var langMatcher = language.NewMatcher([]language.Tag{language.Arabic, language.English})

// catalogue holds every UI string: the core strings below and each
// feature's messages. TestCatalogueComplete checks that both languages have
// the same keys and that the templates use no other key.
var catalogue = withMessages(coreCatalogue, featureMessages...)

// featureMessages are the strings of features that keep them in their own
// file, each as key -> {Arabic, English} so that the two stay side by side.
// A feature adds one line here.
var featureMessages = []map[string][2]string{
	authMessages,
	evidenceMessages,
	reviewMessages,
	removalMessages,
	referralMessages,
	accountMessages,
	collectMessages,
	ocrMessages,
}

// withMessages returns a copy of core with every set's strings added. A
// key defined twice is a programming error that TestCatalogueComplete
// reports.
func withMessages(core map[string]map[string]string, sets ...map[string][2]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for lang, m := range core {
		out[lang] = maps.Clone(m)
	}
	for _, set := range sets {
		for k, v := range set {
			out[taxonomy.Arabic][k] = v[0]
			out[taxonomy.English][k] = v[1]
		}
	}
	return out
}

var coreCatalogue = map[string]map[string]string{
	taxonomy.Arabic: {
		"app.name":            "رقيب",
		"app.tagline":         "رصد دعاية الجماعات المتطرفة",
		"nav.posts":           "المنشورات",
		"nav.cases":           "حالات المراجعة",
		"lang.switch":         "English",
		"stats.posts":         "منشور",
		"stats.violating":     "مخالف",
		"stats.cases":         "حالة مفتوحة",
		"stats.none":          "الإحصاءات غير متاحة",
		"search.label":        "بحث في النص",
		"search.hint":         "ابحث في النص، يُطبَّع العربي تلقائياً",
		"filter.platform":     "المنصة",
		"filter.label":        "التصنيف",
		"filter.tier":         "المستوى",
		"filter.entity":       "الكيان",
		"filter.any":          "الكل",
		"filter.violating":    "المخالف فقط",
		"filter.apply":        "تطبيق",
		"filter.reset":        "مسح",
		"list.loading":        "جارٍ التحميل…",
		"list.empty":          "لا منشورات مطابقة.",
		"list.showing":        "المنشورات",
		"pager.prev":          "السابق",
		"pager.next":          "التالي",
		"col.time":            "الوقت",
		"col.channel":         "القناة",
		"col.author":          "الكاتب",
		"col.text":            "النص",
		"col.decision":        "القرار",
		"col.label":           "التصنيف",
		"col.tier":            "المستوى",
		"col.entity":          "الكيان",
		"col.score":           "الدرجة",
		"col.detector":        "الكاشف",
		"col.explanation":     "التفسير",
		"col.spans":           "المطابقات",
		"col.ref":             "المرجع",
		"col.kind":            "النوع",
		"col.size":            "الحجم",
		"col.location":        "الموقع",
		"col.hashes":          "البصمات",
		"col.version":         "النسخة",
		"col.case":            "رقم الحالة",
		"col.status":          "الوضع",
		"col.reason":          "السبب",
		"col.posts":           "المنشورات",
		"case.group.account":  "منشورات الحساب",
		"case.group.recycled": "النص الأصلي",
		"col.post":            "المنشور",
		"col.created":         "أُنشئت",
		"decision.none":       "لم يُصنَّف",
		"badge.violating":     "مخالف",
		"tier.short":          "المستوى",
		"post.title":          "منشور",
		"post.text":           "النص الأصلي",
		"post.norm":           "النص المطبَّع مع المطابقات",
		"post.nonorm":         "لا نص مطبَّع.",
		"post.badspans":       "مطابقات خارج حدود النص لم تُعرض:",
		"post.details":        "البيانات",
		"post.decision":       "القرار",
		"post.reasons":        "الأسباب",
		"post.signals":        "الإشارات",
		"post.nosignals":      "لا إشارات.",
		"post.media":          "الوسائط",
		"post.links":          "الروابط والإشارات",
		"post.outlinks":       "روابط خارجية",
		"post.linkwarn":       "لا يُحمَّل أي رابط تلقائياً؛ افتح الروابط من بيئة معزولة.",
		"post.mentions":       "إشارات إلى حسابات",
		"post.hashtags":       "وسوم",
		"post.versions":       "سجل التعديلات",
		"post.noversions":     "لا تعديلات محفوظة.",
		"post.origin":         "المصدر",
		"post.raw":            "السجل الأصلي",
		"field.key":           "المفتاح",
		"field.kind":          "النوع",
		"field.url":           "الرابط الأصلي",
		"field.lang":          "اللغة",
		"field.posted":        "نُشر",
		"field.edited":        "عُدِّل",
		"field.collected":     "جُمع",
		"field.replyto":       "ردّ على",
		"field.quoteof":       "اقتباس من",
		"field.forward":       "أُعيد توجيهه من",
		"field.repost":        "إعادة نشر لـ",
		"field.editids":       "معرّفات النسخ السابقة",
		"field.withheld":      "محجوب في",
		"field.deleted":       "محذوف",
		"field.followers":     "المتابعون",
		"field.verified":      "موثَّق",
		"field.format":        "الصيغة",
		"field.file":          "الملف",
		"field.line":          "السطر",
		"field.offset":        "الإزاحة بالبايت",
		"yes":                 "نعم",
		"media.omitted":       "غير مضمَّن في التصدير",
		"raw.download":        "تنزيل السجل الأصلي بايتاً ببايت",
		"raw.truncated":       "عُرض أول 1 ميغابايت فقط؛ نزِّل السجل لقراءته كاملاً.",
		"raw.none":            "لا سجل أصلي محفوظ.",
		"raw.bytes":           "بايت",
		"cases.title":         "حالات المراجعة المفتوحة",
		"cases.empty":         "لا حالات مفتوحة.",
		"status.open":         "مفتوحة",
		"status.confirmed":    "مؤكَّدة",
		"status.dismissed":    "مرفوضة",
		"status.referred":     "مُبلَّغ عنها",
		"status.removed":      "أُزيلت",
		"error.400":           "طلب غير صالح",
		"error.404":           "غير موجود",
		"error.500":           "خطأ داخلي؛ راجع سجل الخادم.",
		"error.back":          "العودة إلى المنشورات",
		"time.now":            "الآن",
		"time.future":         "في المستقبل",
		"time.never":          "—",
		"footer.about":        "رقيب: منصة مفتوحة المصدر لرصد الدعاية المتطرفة. المحتوى المعروض دليل؛ لا تعيد نشره.",
		"platform.telegram":   "تيليغرام",
		"platform.whatsapp":   "واتساب",
		"platform.x":          "إكس",
		"platform.rocketchat": "روكت تشات",
		"platform.facebook":   "فيسبوك",
		"platform.youtube":    "يوتيوب",
		"platform.web":        "الويب",
		"nav.banks":           "بنوك البصمات",
		"nav.sources":         "المصادر",
		"sources.title":       "مصادر الجمع",
		"sources.intro":       "كل ملف تصدير أو موجز استُورد: متى جُمع، وكم سجلاً قُرئ منه أو رُفض، وكم منشوراً خُزّن منه أول مرة.",
		"sources.empty":       "لم يُستورد أي مصدر بعد.",
		"col.where":           "المنصة والصيغة",
		"col.first":           "أول جمع",
		"col.last":            "آخر جمع",
		"col.imports":         "مرات الاستيراد",
		"col.read":            "سجلات مقروءة",
		"col.rejected":        "سجلات مرفوضة",
		"col.stored":          "منشورات مخزنة",
		"field.source":        "المصدر",
		"list.filtered":       "مصفّاة حسب",
		"banks.title":         "بنوك البصمات",
		"banks.hint":          "قوائم بصمات المحتوى المعروف. يسري التفعيل والتعطيل على العمّال خلال ثوانٍ دون إعادة تشغيل.",
		"banks.nostore":       "هذا المخزن لا يحفظ بنوك بصمات.",
		"banks.name":          "الاسم",
		"banks.state":         "الحالة",
		"banks.distance":      "مسافة PDQ القصوى",
		"banks.source":        "المصدر",
		"banks.entries":       "البصمات",
		"banks.live":          "المفعَّلة",
		"banks.action":        "إجراء",
		"banks.empty":         "لا بنوك بعد؛ استورد قائمة بصمات بالأمر:",
		"banks.enable":        "تفعيل",
		"banks.disable":       "تعطيل",
		"state.on":            "مفعَّل",
		"state.off":           "معطَّل",
		"kind.own":            "خاص بالوحدة",
		"kind.partner":        "من شريك",
		"kind.imported":       "مستورد",
		"kind.negative":       "محتوى سليم معروف",
		"bank.back":           "العودة إلى البنوك",
		"bank.title":          "بنك",
		"bank.showing":        "البصمات",
		"bank.empty":          "لا بصمات في هذا البنك.",
		"bank.created":        "أُنشئ",
		"entry.algo":          "نوع البصمة",
		"entry.hash":          "البصمة",
		"entry.provenance":    "المنشأ",
		"entry.added":         "أُضيفت",
		"prov.by":             "شاركها",
		"prov.at":             "بتاريخ",
		"prov.case":           "مرجع الحالة",
		"match.title":         "مطابقات المحتوى المعروف",
		"match.warning":       "تحذير: قد تحتوي الصور على مشاهد عنيفة أو صادمة. الصور مموَّهة؛ انقر على صورة لإظهارها وانقر مرة أخرى لإخفائها.",
		"match.bank":          "البنك",
		"match.entry":         "البصمة المطابِقة",
		"match.gone":          "لم تعد البصمة محفوظة",
		"match.distance":      "المسافة",
		"match.exact":         "تطابق تام",
		"match.thispost":      "صورة هذا المنشور",
		"match.noimage":       "صورة هذا المنشور غير محفوظة.",
		"match.bankside":      "صورة البنك",
		"match.hashonly":      "بصمة فقط، شاركها:",
		"match.neardups":      "نصوص شبه مكررة لمنشورات مخالفة",
		"match.similarity":    "التشابه",
		"match.imagealt":      "صورة مموَّهة قد تكون عنيفة",
		"match.reveal":        "انقر للإظهار",
	},
	taxonomy.English: {
		"app.name":            "raqib",
		"app.tagline":         "Extremist propaganda monitoring",
		"nav.posts":           "Posts",
		"nav.cases":           "Review cases",
		"lang.switch":         "العربية",
		"stats.posts":         "posts",
		"stats.violating":     "violating",
		"stats.cases":         "open cases",
		"stats.none":          "statistics unavailable",
		"search.label":        "Search text",
		"search.hint":         "Search text; Arabic is normalized",
		"filter.platform":     "Platform",
		"filter.label":        "Label",
		"filter.tier":         "Tier",
		"filter.entity":       "Entity",
		"filter.any":          "All",
		"filter.violating":    "Violating only",
		"filter.apply":        "Apply",
		"filter.reset":        "Clear",
		"list.loading":        "Loading…",
		"list.empty":          "No matching posts.",
		"list.showing":        "Posts",
		"pager.prev":          "Previous",
		"pager.next":          "Next",
		"col.time":            "Time",
		"col.channel":         "Channel",
		"col.author":          "Author",
		"col.text":            "Text",
		"col.decision":        "Decision",
		"col.label":           "Label",
		"col.tier":            "Tier",
		"col.entity":          "Entity",
		"col.score":           "Score",
		"col.detector":        "Detector",
		"col.explanation":     "Explanation",
		"col.spans":           "Matches",
		"col.ref":             "Reference",
		"col.kind":            "Kind",
		"col.size":            "Size",
		"col.location":        "Location",
		"col.hashes":          "Hashes",
		"col.version":         "Version",
		"col.case":            "Case",
		"col.status":          "Status",
		"col.reason":          "Reason",
		"col.posts":           "Posts",
		"case.group.account":  "the account's posts",
		"case.group.recycled": "the original text",
		"col.post":            "Post",
		"col.created":         "Opened",
		"decision.none":       "Not classified",
		"badge.violating":     "Violating",
		"tier.short":          "Tier",
		"post.title":          "Post",
		"post.text":           "Original text",
		"post.norm":           "Normalized text with matches",
		"post.nonorm":         "No normalized text.",
		"post.badspans":       "Matches outside the text, not shown:",
		"post.details":        "Details",
		"post.decision":       "Decision",
		"post.reasons":        "Reasons",
		"post.signals":        "Signals",
		"post.nosignals":      "No signals.",
		"post.media":          "Media",
		"post.links":          "Links and mentions",
		"post.outlinks":       "Outlinks",
		"post.linkwarn":       "Nothing is loaded automatically; open links from an isolated environment.",
		"post.mentions":       "Mentions",
		"post.hashtags":       "Hashtags",
		"post.versions":       "Edit history",
		"post.noversions":     "No earlier versions stored.",
		"post.origin":         "Origin",
		"post.raw":            "Original record",
		"field.key":           "Key",
		"field.kind":          "Kind",
		"field.url":           "Permalink",
		"field.lang":          "Language",
		"field.posted":        "Posted",
		"field.edited":        "Edited",
		"field.collected":     "Collected",
		"field.replyto":       "Reply to",
		"field.quoteof":       "Quote of",
		"field.forward":       "Forwarded from",
		"field.repost":        "Repost of",
		"field.editids":       "Earlier version ids",
		"field.withheld":      "Withheld in",
		"field.deleted":       "Deleted",
		"field.followers":     "Followers",
		"field.verified":      "Verified",
		"field.format":        "Format",
		"field.file":          "File",
		"field.line":          "Line",
		"field.offset":        "Byte offset",
		"yes":                 "yes",
		"media.omitted":       "left out of the export",
		"raw.download":        "Download the original record, byte for byte",
		"raw.truncated":       "Only the first 1 MB is shown; download the record to read all of it.",
		"raw.none":            "No original record stored.",
		"raw.bytes":           "bytes",
		"cases.title":         "Open review cases",
		"cases.empty":         "No open cases.",
		"status.open":         "open",
		"status.confirmed":    "confirmed",
		"status.dismissed":    "dismissed",
		"status.referred":     "referred",
		"status.removed":      "removed",
		"error.400":           "Bad request",
		"error.404":           "Not found",
		"error.500":           "Internal error; see the server log.",
		"error.back":          "Back to posts",
		"time.now":            "just now",
		"time.future":         "in the future",
		"time.never":          "—",
		"footer.about":        "raqib: open-source monitoring of extremist propaganda. What you see is evidence; do not republish it.",
		"platform.telegram":   "Telegram",
		"platform.whatsapp":   "WhatsApp",
		"platform.x":          "X",
		"platform.rocketchat": "Rocket.Chat",
		"platform.facebook":   "Facebook",
		"platform.youtube":    "YouTube",
		"platform.web":        "Web",
		"nav.banks":           "Hash banks",
		"nav.sources":         "Sources",
		"sources.title":       "Collection sources",
		"sources.intro":       "Every export or feed imported: when it was collected, how many records were read from it or rejected, and how many posts were first stored from it.",
		"sources.empty":       "No source imported yet.",
		"col.where":           "Platform and format",
		"col.first":           "First collected",
		"col.last":            "Last collected",
		"col.imports":         "Imports",
		"col.read":            "Records read",
		"col.rejected":        "Rejected",
		"col.stored":          "Posts stored",
		"field.source":        "Source",
		"list.filtered":       "Filtered by",
		"banks.title":         "Hash banks",
		"banks.hint":          "Lists of known-content hashes. Enabling or disabling reaches the workers within seconds, without a restart.",
		"banks.nostore":       "This store keeps no hash banks.",
		"banks.name":          "Name",
		"banks.state":         "State",
		"banks.distance":      "Max PDQ distance",
		"banks.source":        "Source",
		"banks.entries":       "Entries",
		"banks.live":          "Enabled",
		"banks.action":        "Action",
		"banks.empty":         "No banks yet; import a hash list with:",
		"banks.enable":        "Enable",
		"banks.disable":       "Disable",
		"state.on":            "enabled",
		"state.off":           "disabled",
		"kind.own":            "own",
		"kind.partner":        "partner",
		"kind.imported":       "imported",
		"kind.negative":       "known benign",
		"bank.back":           "Back to the banks",
		"bank.title":          "Bank",
		"bank.showing":        "Entries",
		"bank.empty":          "This bank has no entries.",
		"bank.created":        "Created",
		"entry.algo":          "Type",
		"entry.hash":          "Hash",
		"entry.provenance":    "Provenance",
		"entry.added":         "Added",
		"prov.by":             "Shared by",
		"prov.at":             "Shared on",
		"prov.case":           "Case ref",
		"match.title":         "Known-content matches",
		"match.warning":       "Warning: the images may show violent or disturbing content. They are blurred; click an image to reveal it, click again to blur it.",
		"match.bank":          "Bank",
		"match.entry":         "Matching entry",
		"match.gone":          "the entry is no longer stored",
		"match.distance":      "Distance",
		"match.exact":         "exact match",
		"match.thispost":      "This post's image",
		"match.noimage":       "This post's image is not kept.",
		"match.bankside":      "Bank image",
		"match.hashonly":      "Hash only, shared by",
		"match.neardups":      "Text near-duplicates of violating posts",
		"match.similarity":    "similarity",
		"match.imagealt":      "blurred image, may be violent",
		"match.reveal":        "Click to reveal",
	},
}

// pickLang chooses the UI language: ?lang= (remembered in a cookie), then
// the cookie, then Accept-Language, then Arabic.
func pickLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); supportedLang(l) {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && supportedLang(c.Value) {
		return c.Value
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return langs[0]
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return langs[0]
	}
	return langs[i]
}

func supportedLang(l string) bool {
	_, ok := catalogue[l]
	return ok
}

func otherLang(l string) string {
	if l == taxonomy.Arabic {
		return taxonomy.English
	}
	return taxonomy.Arabic
}

// unitForms are the forms of a time unit: English singular and plural;
// Arabic singular, dual, plural of 3 to 10 and the form used from 11 on.
type unitForms struct {
	limit time.Duration // the unit applies below this age
	size  time.Duration
	en    [2]string
	ar    [4]string
}

var units = []unitForms{
	{time.Hour, time.Minute, [2]string{"minute", "minutes"}, [4]string{"دقيقة", "دقيقتين", "دقائق", "دقيقة"}},
	{24 * time.Hour, time.Hour, [2]string{"hour", "hours"}, [4]string{"ساعة", "ساعتين", "ساعات", "ساعة"}},
	{30 * 24 * time.Hour, 24 * time.Hour, [2]string{"day", "days"}, [4]string{"يوم", "يومين", "أيام", "يوماً"}},
	{365 * 24 * time.Hour, 30 * 24 * time.Hour, [2]string{"month", "months"}, [4]string{"شهر", "شهرين", "أشهر", "شهراً"}},
	{1 << 62, 365 * 24 * time.Hour, [2]string{"year", "years"}, [4]string{"سنة", "سنتين", "سنوات", "سنة"}},
}

// ago says how long before now t was, in lang, with Arabic number agreement
// ("منذ دقيقتين", "منذ 5 دقائق", "منذ 11 دقيقة").
func ago(t, now time.Time, lang string) string {
	if t.IsZero() {
		return catalogue[lang]["time.never"]
	}
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return catalogue[lang]["time.future"]
	case d < time.Minute:
		return catalogue[lang]["time.now"]
	}
	u := units[len(units)-1]
	for _, c := range units {
		if d < c.limit {
			u = c
			break
		}
	}
	n := int64(d / u.size)
	if lang == taxonomy.Arabic {
		switch {
		case n == 1:
			return "منذ " + u.ar[0]
		case n == 2:
			return "منذ " + u.ar[1]
		case n <= 10:
			return "منذ " + strconv.FormatInt(n, 10) + " " + u.ar[2]
		default:
			return "منذ " + strconv.FormatInt(n, 10) + " " + u.ar[3]
		}
	}
	if n == 1 {
		return "1 " + u.en[0] + " ago"
	}
	return strconv.FormatInt(n, 10) + " " + u.en[1] + " ago"
}
