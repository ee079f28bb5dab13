package web

import (
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

// reviewMessages are the strings of the review pages.
var reviewMessages = map[string][2]string{
	"nav.precision":       {"دقة الكشف", "Precision"},
	"queue.title":         {"طوابير المراجعة", "Review queues"},
	"queue.keys":          {"اختصارات: j/k التالي/السابق، Enter للفتح", "Keys: j/k next/previous, Enter opens"},
	"queue.bulk":          {"إجراء جماعي على نتائج بحث", "Bulk action over a search"},
	"col.priority":        {"الأولوية", "Priority"},
	"col.due":             {"موعد القرار", "Decision due"},
	"col.assignee":        {"المكلَّف", "Assignee"},
	"col.actor":           {"من", "Who"},
	"col.action":          {"الإجراء", "Action"},
	"col.note":            {"ملاحظة", "Note"},
	"col.confirmed":       {"أُكِّدت", "Confirmed"},
	"col.dismissed":       {"رُفضت", "Dismissed"},
	"col.precision":       {"الدقة", "Precision"},
	"col.rule":            {"القاعدة", "Rule"},
	"sla.overdue":         {"متأخرة", "overdue"},
	"case.title":          {"الحالة", "Case"},
	"case.escalated":      {"مُصعَّدة إلى مشرف", "Escalated to a senior"},
	"case.unassigned":     {"غير مكلَّفة", "Unassigned"},
	"case.merged":         {"دُمجت في الحالة", "Merged into case"},
	"case.reasons":        {"لماذا فُتحت", "Why it was opened"},
	"case.posts":          {"منشورات الحالة", "Posts of the case"},
	"case.postsof":        {"من", "of"},
	"case.missing":        {"منشورات لم تعد مخزنة", "Posts no longer stored"},
	"case.context":        {"الحساب والقناة", "Account and channel"},
	"case.accountposts":   {"كل منشورات الحساب", "All posts of the account"},
	"case.channelposts":   {"كل منشورات القناة", "All posts of the channel"},
	"case.openpost":       {"صفحة المنشور", "Post page"},
	"case.history":        {"السجل والتعليقات", "History and comments"},
	"case.nohistory":      {"لم يُتخذ أي إجراء بعد.", "No action taken yet."},
	"case.actions":        {"الإجراءات", "Actions"},
	"case.readonly":       {"دورك يسمح بالاطلاع فقط.", "Your role may only read."},
	"case.next":           {"الحالة التالية", "Next case"},
	"case.prev":           {"الحالة السابقة", "Previous case"},
	"case.keys":           {"اختصارات: c تأكيد، d رفض، e تصعيد، j/k التالية/السابقة", "Keys: c confirm, d dismiss, e escalate, j/k next/previous"},
	"case.evidence":       {"الأدلة", "Evidence"},
	"case.decidedby":      {"قرَّرها", "Decided by"},
	"case.approval":       {"الاعتماد", "Approval"},
	"form.note":           {"ملاحظة (اختيارية)", "Note (optional)"},
	"form.comment":        {"تعليق", "Comment"},
	"form.reason":         {"سبب الرفض", "Dismissal reason"},
	"form.choose":         {"اختر…", "Choose…"},
	"form.assignee":       {"اسم المستخدم", "User name"},
	"form.assignme":       {"خذها لي", "Take it"},
	"form.into":           {"رقم الحالة الأصلية", "Case number to merge into"},
	"form.keep":           {"كما هو", "as it is"},
	"bulk.title":          {"إجراء جماعي", "Bulk action"},
	"bulk.help":           {"ابحث في المنشورات؛ يُطبَّق الإجراء على كل حالة مفتوحة تضم منشوراً من النتائج، ولكل حالة قيدها في السجل.", "Search posts; the action applies to every open case holding a post of the results, each with its own event and audit entry."},
	"bulk.found":          {"حالات مفتوحة في النتائج", "open cases in the results"},
	"bulk.none":           {"لا حالات مفتوحة في نتائج هذا البحث.", "No open cases in the results of this search."},
	"bulk.done":           {"حالات نُفِّذ عليها الإجراء", "cases done"},
	"bulk.failed":         {"حالات رُفض فيها الإجراء", "cases refused"},
	"bulk.search":         {"بحث", "Search"},
	"precision.title":     {"دقة القواعد والكواشف", "Precision of rules and detectors"},
	"precision.help":      {"من الحالات التي قرَّرها المحللون: نسبة ما أُكِّد مما رُفض، لكل قاعدة وكل كاشف أشار إلى المنشور الأول للحالة. الأقل دقة أولاً.", "From the cases analysts decided: the share confirmed rather than dismissed, for every rule and detector that flagged a case's first post. Least precise first."},
	"precision.cases":     {"حالات مقرَّرة", "decided cases"},
	"precision.since":     {"منذ (تاريخ)", "Since (date)"},
	"precision.detectors": {"الكواشف", "Detectors"},
	"precision.rules":     {"القواعد", "Rules"},
	"precision.none":      {"لم تُقرَّر أي حالة بعد.", "No case decided yet."},
	"precision.export":    {"لتصدير القرارات بيانات تدريب: raqib export decisions --since 2026-01-01 --out decisions.csv", "To export decisions as training data: raqib export decisions --since 2026-01-01 --out decisions.csv"},
	"status.merged":       {"مدموجة", "merged"},
	"error.403":           {"غير مسموح لدورك", "Not allowed for your role"},
	"error.409":           {"تعارض مع حالة أخرى", "Conflicts with another case"},
}

// reviewNames are the names the review pages look up by value: actions,
// dismissal reasons, queues, approval states, rules and the reasons rules
// give for opening a case. Rules write their reasons in English, so that
// logs and exports read the same everywhere; the pages show them in the
// page's language.
var reviewNames = map[string][2]string{
	"action.confirm":     {"تأكيد", "Confirm"},
	"action.dismiss":     {"رفض", "Dismiss"},
	"action.escalate":    {"تصعيد إلى مشرف", "Escalate"},
	"action.assign":      {"تكليف", "Assign"},
	"action.comment":     {"تعليق", "Comment"},
	"action.merge":       {"دمج كمكرَّرة", "Merge duplicate"},
	"action.reopen":      {"إعادة فتح", "Reopen"},
	"action.approve":     {"اعتماد", "Approve"},
	"action.hook_failed": {"فشل إجراء لاحق", "Follow-up failed"},

	"dismissal.news":           {"خبر", "News"},
	"dismissal.counter_speech": {"خطاب مضاد", "Counter-speech"},
	"dismissal.religious":      {"خطاب ديني", "Religious speech"},
	"dismissal.research":       {"بحث", "Research"},
	"dismissal.unrelated":      {"لا علاقة له", "Unrelated"},
	"dismissal.duplicate":      {"مكرَّرة", "Duplicate"},

	"queue.unassigned": {"غير مكلَّفة", "Unassigned"},
	"queue.mine":       {"حالاتي", "Mine"},
	"queue.escalated":  {"مُصعَّدة", "Escalated"},
	"queue.approval":   {"بانتظار الاعتماد", "Awaiting approval"},
	"queue.all":        {"كل المفتوحة", "All open"},

	"approval.pending":  {"بانتظار اعتماد مشرف", "Waiting for a senior"},
	"approval.approved": {"معتمدة", "Approved"},

	"rule.canary":           {"نص الاختبار", "canary"},
	"rule.official_claim":   {"بيان رسمي", "official claim"},
	"rule.supporter_stance": {"خطاب المناصرين", "supporter stance"},
	"rule.classifier":       {"المصنِّف", "classifier"},
	"rule.recruitment":      {"تجنيد", "recruitment"},
	"rule.threat":           {"تهديد", "threat"},
	"rule.incitement":       {"تحريض", "incitement"},
	"rule.instruction":      {"تعليمات", "instruction"},
	"rule.financing":        {"تمويل", "financing"},
	"rule.news":             {"خبر", "news"},
	"rule.counter_speech":   {"خطاب مضاد", "counter-speech"},
	"rule.repeat_author":    {"كاتب متكرر", "repeat author"},
	"rule.known_content":    {"محتوى معروف", "known content"},

	"reason.canary":                                       {"نص الاختبار", "canary"},
	"reason.official propaganda":                          {"دعاية رسمية", "official propaganda"},
	"reason.supporter propaganda":                         {"دعاية المناصرين", "supporter propaganda"},
	"reason.classifier":                                   {"المصنِّف فوق العتبة", "classifier"},
	"reason.recruitment":                                  {"تجنيد", "recruitment"},
	"reason.threat to life":                               {"تهديد للحياة", "threat to life"},
	"reason.incitement":                                   {"تحريض", "incitement"},
	"reason.instruction":                                  {"تعليمات هجوم أو أمن", "instruction"},
	"reason.financing":                                    {"تمويل", "financing"},
	"reason.repeat author":                                {"كاتب متكرر", "repeat author"},
	"reason.known_content":                                {"تطابق مع محتوى معروف", "known content"},
	"reason.known_content: recycled violating text":       {"نص مخالف مُعاد تدويره", "recycled violating text"},
	"reason.repeat author: flagged posts in the last day": {"كاتب متكرر: منشورات مُعلَّمة في اليوم الأخير", "repeat author: flagged posts in the last day"},
	"reason.known_content: bank match":                    {"تطابق مع بنك بصمات", "bank match"},
}

// name looks key up in reviewNames in the page language; what it does not
// know it shows as given.
func (p *page) name(key, fallback string) string {
	v, ok := reviewNames[key]
	if !ok {
		return fallback
	}
	if p.Lang == taxonomy.Arabic {
		return v[0]
	}
	return v[1]
}

// ActionName is an action in the page language.
func (p *page) ActionName(a string) string { return p.name("action."+a, a) }

// DismissalName is a dismissal reason in the page language.
func (p *page) DismissalName(d post.Dismissal) string {
	return p.name("dismissal."+string(d), string(d))
}

// QueueName is a queue in the page language.
func (p *page) QueueName(q store.Queue) string { return p.name("queue."+string(q), string(q)) }

// ApprovalName is an approval state in the page language.
func (p *page) ApprovalName(a post.Approval) string { return p.name("approval."+string(a), string(a)) }

// RuleName is a rule in the page language.
func (p *page) RuleName(r string) string { return p.name("rule."+r, r) }

// CaseStatusName is a case status in the page language, merged included.
func (p *page) CaseStatusName(st post.CaseStatus) string {
	if st == post.CaseMerged {
		return p.T("status.merged")
	}
	return p.StatusName(st)
}

// Reasons splits the reasons rules gave for a case ("official propaganda;
// repeat author: flagged posts in the last day") and names each in the
// page language: the longest known reason it starts with is translated,
// and what follows (a bank hash) is kept as written.
func (p *page) Reasons(reason string) []string {
	var out []string
	for part := range strings.SplitSeq(reason, "; ") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		best := ""
		for k := range reviewNames {
			x, ok := strings.CutPrefix(k, "reason.")
			if ok && len(x) > len(best) && strings.HasPrefix(part, x) && (len(part) == len(x) || part[len(x)] == ' ' || part[len(x)] == ':') {
				best = x
			}
		}
		if best == "" {
			out = append(out, part)
			continue
		}
		out = append(out, p.name("reason."+best, best)+part[len(best):])
	}
	return out
}

// Queues lists the queues for the tabs.
func (p *page) Queues() []store.Queue { return store.Queues }

// Kinds lists the actions, for names in forms.
func (p *page) Kinds() []review.Kind { return review.Kinds }
