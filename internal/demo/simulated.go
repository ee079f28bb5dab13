package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/demo/platform"
)

// SimulatedPosts are hand-made, fictional supporter posts (the genre of
// the corpus's Telegram channel) and one news item that the demo
// publishes on its simulated platform, so that a case of them can be
// referred and removed with no network.
var SimulatedPosts = []platform.Post{
	{ID: "1001", Title: "باقية", Text: "دولة الخلافة باقية وتتمدد رغم أنف الطواغيت والصليبيين، تقبل الله إخواننا الانغماسيين الذين أثخنوا في صحوات الردة.",
		At: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)},
	{ID: "1002", Title: "انفروا", Text: "يا شباب الأمة، ماذا تنتظرون؟ انفروا خفافا وثقالا وبايعوا أمير المؤمنين، فأرض الخلافة تناديكم. للتواصل خاص: الرابط في الخاص على تلغرام، ولا تكتبوا المعرف في العام.",
		At: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)},
	{ID: "1003", Title: "رسالة", Text: "يا أسود الخلافة في ديار الكفر: إن لم تستطع الهجرة فقد حان الوقت للهجوم، أشعلوا النار في أرضهم، فالأسود المنفردة لا تنتظر أحداً.",
		At: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)},
	{ID: "1004", Title: "خبر", Text: "عاجل | مصادر أمنية: مقتل عنصرين من داعش في اشتباك مع القوات العراقية غرب الأنبار، بحسب بيان لخلية الإعلام الأمني.",
		At: time.Date(2024, 3, 5, 11, 0, 0, 0, time.UTC)},
}

// RemovalDelays are how long after its referral the simulated platform
// removes each referred post, in the order referrals arrive: one within
// the TCO regulation's hour, one within a day, one left online.
var RemovalDelays = []time.Duration{2 * time.Minute, 50 * time.Minute, 26 * time.Hour}

// Simulation is the demo's simulated platform and the files that point
// raqib at it.
type Simulation struct {
	Platform *platform.Platform
	// Referrals is the referral configuration file: the platform is the
	// host of its own posts, which take referrals by webhook.
	Referrals string
	// Feed is the RSS feed of the platform's posts, for importing them.
	Feed string
}

// StartSimulation starts the simulated platform with its state in dir,
// on the port it had there before when that port is free (so that a kept
// data directory keeps its post URLs), publishes SimulatedPosts, writes
// their feed and the referral configuration into dir.
func StartSimulation(dir string) (*Simulation, error) {
	portFile := filepath.Join(dir, "simulated-platform.addr")
	addr, _ := os.ReadFile(portFile)
	p, err := platform.Start(platform.Options{Delays: RemovalDelays, Addr: strings.TrimSpace(string(addr)),
		StateFile: filepath.Join(dir, "simulated-platform.json")})
	if err != nil {
		return nil, err
	}
	sim := &Simulation{Platform: p, Referrals: filepath.Join(dir, "referrals.json"), Feed: filepath.Join(dir, "simulated-feed.xml")}
	fail := func(err error) (*Simulation, error) {
		p.Close()
		return nil, fmt.Errorf("simulated platform: %w", err)
	}
	if err := os.WriteFile(portFile, []byte(strings.TrimPrefix(p.URL(), "http://")), 0o600); err != nil {
		return fail(err)
	}
	for _, sp := range SimulatedPosts {
		p.Publish(sp.ID, sp.Title, sp.Text, sp.At)
	}
	if err := os.WriteFile(sim.Feed, p.Feed(), 0o600); err != nil {
		return fail(err)
	}
	cfg := map[string]any{
		"reporter": map[string]string{"name": "وحدة رقيب التجريبية (demo unit)", "email": "demo@raqib.invalid"},
		"legal_basis": map[string]string{
			"ar": "مثال: اللائحة (الاتحاد الأوروبي) 2021/784 بشأن التصدي لنشر المحتوى الإرهابي عبر الإنترنت",
			"en": "Example: Regulation (EU) 2021/784 on addressing the dissemination of terrorist content online",
		},
		"targets": []map[string]any{{
			"name": "simulated-platform", "ranges": []string{"127.0.0.1/32"}, "batch": 10,
			"webhook": map[string]string{"url": p.WebhookURL()},
		}},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err == nil {
		err = os.WriteFile(sim.Referrals, b, 0o600)
	}
	if err != nil {
		return fail(err)
	}
	return sim, nil
}

// Close stops the platform.
func (s *Simulation) Close() error { return s.Platform.Close() }
