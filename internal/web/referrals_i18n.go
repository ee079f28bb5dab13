package web

import (
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

// referralMessages are the strings of the referral pages.
var referralMessages = map[string][2]string{
	"nav.referrals":  {"البلاغات", "Referrals"},
	"ref.title":      {"البلاغات إلى المنصات والمستضيفين", "Referrals to platforms and hosts"},
	"ref.hint":       {"لا يُرسل بلاغ إلا عن حالة أكّدها محلل، ويُسجَّل كل إرسال في سجل التدقيق.", "A referral leaves only for a case an analyst confirmed, and every send is recorded in the audit trail."},
	"ref.off":        {"البلاغات غير مفعّلة: حدّد ملف إعدادها.", "Referrals are off: name their configuration file."},
	"ref.confirmed":  {"حالات مؤكدة لم يُبلَّغ عنها بعد", "Confirmed cases not referred yet"},
	"ref.case":       {"الحالة", "Case"},
	"ref.label":      {"التصنيف", "Label"},
	"ref.posts":      {"المنشورات", "Posts"},
	"ref.action":     {"إجراء", "Action"},
	"ref.refer":      {"أبلغ المنصة", "Refer to the platform"},
	"ref.norole":     {"يتطلب دور محلل", "needs the analyst role"},
	"ref.all":        {"الكل", "All"},
	"ref.bundle":     {"تنزيل بلاغات النماذج (CSV)", "Download web-form referrals (CSV)"},
	"ref.target":     {"الجهة", "Target"},
	"ref.channel":    {"القناة", "Channel"},
	"ref.round":      {"الجولة", "Round"},
	"ref.status":     {"الحالة", "Status"},
	"ref.ticket":     {"رقم البلاغ لدى المنصة", "Platform ticket"},
	"ref.sent":       {"أُرسل", "Sent"},
	"ref.url":        {"الرابط", "URL"},
	"ref.escalation": {"تصعيد إلى المستضيف", "escalated to the host"},
	"ref.approve":    {"اعتماد الإرسال", "Approve sending"},
	"ref.copy":       {"نسخ", "Copy"},
	"ref.copyurl":    {"نسخ الرابط", "Copy the URL"},
	"ref.empty":      {"لا بلاغات.", "No referrals."},
	"ref.one":        {"البلاغ", "Referral"},
	"ref.evidence":   {"بصمة الدليل (SHA-256)", "Evidence hash (SHA-256)"},
	"ref.attempts":   {"المحاولات", "Attempts"},
	"ref.created":    {"طلبه", "Requested by"},
	"ref.approvedby": {"اعتمده", "approved by"},
	"ref.message":    {"نص البلاغ", "Referral text"},
	"ref.form":       {"نموذج الإبلاغ لدى المنصة:", "The platform's report form:"},
	"ref.submitted":  {"أُرسل عبر النموذج", "Submitted through the form"},
	"ref.replies":    {"ردود المنصة", "Platform replies"},
	"ref.noreplies":  {"لا ردود بعد.", "No replies yet."},
	"ref.reply":      {"الرد", "Reply"},
	"ref.record":     {"تسجيل الرد", "Record the reply"},
}

// referralWords name referral statuses and channel kinds, which templates
// look up by value rather than by catalogue key.
var referralWords = map[string][2]string{
	string(store.ReferralAwaiting): {"بانتظار الاعتماد", "awaiting approval"},
	string(store.ReferralQueued):   {"في الطابور", "queued"},
	string(store.ReferralManual):   {"بانتظار الإرسال اليدوي", "awaiting form submission"},
	string(store.ReferralSent):     {"أُرسل", "sent"},
	string(store.ReferralFailed):   {"فشل", "failed"},
	"email":                        {"بريد إلكتروني", "email"},
	"webhook":                      {"واجهة برمجية", "webhook"},
	"bundle":                       {"نموذج ويب", "web form"},
	"refused":                      {"رُفض الطلب", "Refused"},
}

// RefWord is the name of a referral status, channel kind or outcome in the
// page's language.
func (p *page) RefWord(v string) string {
	w, ok := referralWords[v]
	switch {
	case !ok:
		return v
	case p.Lang == taxonomy.Arabic:
		return w[0]
	default:
		return w[1]
	}
}
