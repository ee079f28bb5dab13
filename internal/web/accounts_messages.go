package web

import (
	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/store"
)

// accountMessages are the strings of the account, channel, successor and
// overview pages.
var accountMessages = map[string][2]string{
	"nav.overview":   {"نظرة عامة", "Overview"},
	"nav.successors": {"الحسابات البديلة", "Successors"},

	"account.title":         {"الحساب", "Account"},
	"account.platform":      {"المنصة", "Platform"},
	"account.name":          {"الاسم المعروض", "Display name"},
	"account.handle":        {"المعرّف", "Handle"},
	"account.bio":           {"النبذة", "Bio"},
	"account.avatar":        {"الصورة (PDQ)", "Avatar (PDQ)"},
	"account.created":       {"أُنشئ على المنصة", "Created on the platform"},
	"account.seen":          {"أول ظهور وآخره", "First and last seen"},
	"account.rank":          {"ترتيب التضخيم", "Amplification rank"},
	"account.timeline":      {"المنشورات يوميًا", "Posts per day"},
	"account.setstatus":     {"تغيير الحالة", "Change status"},
	"account.evidence":      {"الدليل", "Evidence"},
	"account.save":          {"حفظ", "Save"},
	"account.statuses":      {"سجل الحالة", "Status history"},
	"account.when":          {"الوقت", "When"},
	"account.status":        {"الحالة", "Status"},
	"account.source":        {"المصدر", "Source"},
	"account.actor":         {"بواسطة", "By"},
	"account.nostatus":      {"لم تتغير حالته منذ ظهوره.", "No status change since it was first seen."},
	"account.names":         {"تاريخ الأسماء", "Names history"},
	"account.until":         {"حتى", "Until"},
	"account.now":           {"الآن", "Now"},
	"account.lineage":       {"السلالة", "Lineage"},
	"account.successors":    {"الحسابات البديلة المقترحة", "Proposed successors"},
	"account.predecessors":  {"حسابات سابقة محتملة", "Possible predecessors"},
	"account.neighbourhood": {"الجوار في الشبكة", "Network neighbourhood"},
	"account.links":         {"الروابط المنشورة", "Posted links"},
	"account.nolinks":       {"لا روابط.", "No links."},
	"account.posts":         {"أحدث المنشورات", "Latest posts"},

	"acctstatus.active":   {"نشط", "active"},
	"acctstatus.dormant":  {"خامل", "dormant"},
	"acctstatus.removed":  {"محذوف", "removed"},
	"acctstatus.referred": {"مُبلَّغ عنه", "referred"},

	"channel.title":   {"القناة", "Channel"},
	"channel.authors": {"الحسابات الناشرة", "Posting accounts"},

	"chart.empty":   {"لا بيانات في هذه الفترة.", "No data in this period."},
	"chart.posts":   {"المنشورات", "Posts"},
	"chart.flagged": {"المنشورات المخالفة", "Flagged posts"},

	"graph.direction": {"الاتجاه", "Direction"},
	"graph.kind":      {"النوع", "Kind"},
	"graph.other":     {"الطرف", "Account or channel"},
	"graph.weight":    {"العدد", "Count"},
	"graph.flagged":   {"مخالف", "Flagged"},
	"graph.in":        {"إليه", "in"},
	"graph.out":       {"منه", "out"},
	"graph.none":      {"لا صلات بعد.", "No connections yet."},

	"edge.forward": {"إعادة توجيه", "forward"},
	"edge.repost":  {"إعادة نشر", "repost"},
	"edge.quote":   {"اقتباس", "quote"},
	"edge.reply":   {"رد", "reply"},
	"edge.mention": {"إشارة", "mention"},
	"edge.outlink": {"رابط", "link"},

	"lifecycle.new":         {"حسابات جديدة", "New accounts"},
	"lifecycle.reactivated": {"حسابات عادت للنشاط", "Reactivated accounts"},
	"lifecycle.removed":     {"حسابات محذوفة", "Removed accounts"},

	"successors.title": {"مراجعة الحسابات البديلة", "Successor review"},
	"successors.help": {"حسابات قد تكون النسخة الجديدة من حساب حُذف أو أُبلغ عنه، مرتبة بالأدلة. التأكيد يفتح قضية بأولوية عالية إن كان الحساب الأصلي محذوفًا.",
		"Accounts that may be the next incarnation of a removed or referred account, ranked on the evidence. Confirming opens a high-priority case when the original was removed."},
	"successors.empty": {"لا شيء هنا.", "Nothing here."},
	"link.proposed":    {"مقترحة", "proposed"},
	"link.confirmed":   {"مؤكدة", "confirmed"},
	"link.rejected":    {"مرفوضة", "rejected"},
	"succ.from":        {"الحساب الأصلي", "Original"},
	"succ.to":          {"البديل المحتمل", "Candidate"},
	"succ.score":       {"الدرجة", "Score"},
	"succ.handle":      {"تشابه المعرّف", "Handle"},
	"succ.name":        {"تشابه الاسم", "Name"},
	"succ.bio":         {"تشابه النبذة", "Bio"},
	"succ.avatar":      {"مسافة الصورة", "Avatar distance"},
	"succ.links":       {"روابط مشتركة", "Shared links"},
	"succ.texts":       {"نصوص مكررة مشتركة", "Shared flagged texts"},
	"succ.rooms":       {"مجموعات مشتركة", "Shared groups"},
	"succ.gap":         {"ظهر بعد الحذف بـ", "Seen after removal"},
	"succ.status":      {"القرار", "Decision"},
	"succ.confirm":     {"تأكيد", "Confirm"},
	"succ.reject":      {"رفض", "Reject"},

	"overview.title":         {"نظرة عامة: الحسابات والنمو", "Overview: accounts and growth"},
	"overview.lifecycle":     {"دورة حياة الحسابات", "Account lifecycle"},
	"overview.hour":          {"آخر ساعة", "Last hour"},
	"overview.day":           {"اليوم", "Day"},
	"overview.total":         {"المجموع", "Total"},
	"overview.flagged":       {"المنشورات المخالفة حسب المنصة", "Flagged posts by platform"},
	"overview.bylabel":       {"حسب التصنيف", "By label"},
	"overview.spikes":        {"قفزات غير معتادة", "Spikes"},
	"overview.nospikes":      {"لا قفزات فوق خط الأساس.", "No day above its baseline."},
	"overview.series":        {"السلسلة", "Series"},
	"overview.count":         {"العدد", "Count"},
	"overview.baseline":      {"خط الأساس", "Baseline"},
	"overview.discovery":     {"مصادر مقترحة للجمع", "Proposed sources"},
	"overview.discoveryhelp": {"قنوات ومجموعات ومواقع تشير إليها المنشورات المخالفة، مرتبة بعدد الحسابات ثم المنشورات.", "Channels, groups and sites flagged posts point to, ranked by accounts, then posts."},
	"overview.target":        {"الهدف", "Target"},
	"overview.authors":       {"حسابات", "Accounts"},
	"overview.example":       {"مثال", "Example"},
	"overview.amplifiers":    {"الأكثر تضخيمًا", "Most amplified"},
}

// accountKeys lists the message keys the account pages build at run time
// (statuses, edge and lifecycle kinds) or use from Go, for the catalogue
// check.
func accountKeys() []string {
	keys := []string{"chart.flagged"}
	for _, s := range []store.AccountStatus{store.StatusActive, store.StatusDormant, store.StatusRemoved, store.StatusReferred} {
		keys = append(keys, "acctstatus."+string(s))
	}
	for _, k := range []string{account.EdgeForward, account.EdgeRepost, account.EdgeQuote, account.EdgeReply, account.EdgeMention, account.EdgeOutlink} {
		keys = append(keys, "edge."+k)
	}
	for _, k := range account.LifecycleKinds {
		keys = append(keys, "lifecycle."+k)
	}
	return keys
}
