package web

// authMessages are the strings of signing in, the header's user menu and
// the audit trail page.
var authMessages = map[string][2]string{
	"login.title":    {"تسجيل الدخول", "Sign in"},
	"login.user":     {"اسم المستخدم", "User name"},
	"login.password": {"كلمة المرور", "Password"},
	"login.submit":   {"دخول", "Sign in"},
	"login.failed":   {"اسم المستخدم أو كلمة المرور غير صحيحة.", "Wrong user name or password."},
	"login.locked":   {"محاولات فاشلة كثيرة؛ أعد المحاولة لاحقاً.", "Too many failed attempts; try again later."},
	"login.minutes":  {"دقيقة", "minutes"},
	"nav.logout":     {"خروج", "Sign out"},
	"nav.audit":      {"سجل التدقيق", "Audit trail"},
	"nav.user":       {"المستخدم", "Signed in as"},
	"audit.title":    {"سجل التدقيق", "Audit trail"},
	"audit.verified": {"السلسلة سليمة؛ عدد القيود:", "Chain verified; entries:"},
	"audit.head":     {"آخر بصمة", "head"},
	"audit.broken":   {"السلسلة مكسورة: عُدِّل السجل أو حُذف منه.", "Chain broken: the trail was altered or cut."},
	"audit.actor":    {"الفاعل", "Actor"},
	"audit.since":    {"منذ", "Since"},
	"audit.filter":   {"تصفية", "Filter"},
	"audit.at":       {"الوقت", "Time"},
	"audit.source":   {"المصدر", "From"},
	"audit.action":   {"الإجراء", "Action"},
	"audit.subject":  {"الموضوع", "Subject"},
	"audit.before":   {"قبل", "Before"},
	"audit.after":    {"بعد", "After"},
	"audit.more":     {"القيود التالية", "Next entries"},
	"audit.none":     {"لا قيود.", "No entries."},
}
