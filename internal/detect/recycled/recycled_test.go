package recycled_test

import (
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/post"
)

func TestCopyOfViolatingText(t *testing.T) {
	// Hand-made, fictional supporter text, a re-post with a hashtag and an
	// emoji added, and a news text that is indexed as news.
	orig := arabic.Normalize("بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان: اثبتوا وانشروا الإصدار الجديد")
	repost := arabic.Normalize("#عاجل بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان: اثبتوا وانشروا الإصدار الجديد 🔥")
	news := arabic.Normalize("قالت وزارة الداخلية إن قوات الأمن أحبطت هجوما على نقطة تفتيش جنوب المدينة فجر اليوم")
	d := recycled.New(neardup.NewIndex(0))
	for _, r := range []struct {
		key, text string
		label     post.Label
	}{{"telegram:1:9", orig, post.Propaganda}, {"x:timeline:5", news, post.News}} {
		// A text of no cluster leaves its signature for the worker.
		var fx effect.Set
		if _, err := d.Detect(&post.Post{Platform: post.X, ID: r.key, Norm: r.text}, nil, &fx); err != nil || fx.TextSig == nil {
			t.Fatalf("no signature derived from %s (err %v)", r.key, err)
		}
		sig := fx.TextSig
		if err := d.Add(r.key, r.label, sig); err != nil {
			t.Fatal(err)
		}
		if err := d.Add(r.key, r.label, sig); err != nil {
			t.Errorf("adding %s again: %v, want no error", r.key, err)
		}
	}
	if err := d.Add("x:timeline:6", post.Propaganda, []byte("short")); err == nil {
		t.Error("a bad signature was accepted")
	}
	for _, tc := range []struct {
		name string
		p    post.Post
		want string // Ref of the one signal, "" for none
		sig  bool   // whether the text's signature is left to index
	}{
		{"re-post", post.Post{Platform: post.Telegram, Channel: post.Channel{ID: "2"}, ID: "10", Norm: repost}, "telegram:1:9", false},
		{"itself", post.Post{Platform: post.Telegram, Channel: post.Channel{ID: "1"}, ID: "9", Norm: orig}, "", true},
		{"copy of news", post.Post{Platform: post.X, Channel: post.Channel{ID: "timeline"}, ID: "7", Norm: news}, "", true},
		{"unrelated", post.Post{Platform: post.Telegram, Channel: post.Channel{ID: "2"}, ID: "11", Norm: arabic.Normalize("انتهت مباراة كرة القدم بفوز الفريق الأول بهدفين")}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fx effect.Set
			sigs, err := d.Detect(&tc.p, nil, &fx)
			if err != nil {
				t.Fatal(err)
			}
			if (fx.TextSig != nil) != tc.sig {
				t.Errorf("signature left to index: %v, want %v", fx.TextSig != nil, tc.sig)
			}
			if tc.want == "" {
				if len(sigs) != 0 {
					t.Errorf("signals %+v, want none", sigs)
				}
				return
			}
			if len(sigs) != 1 || sigs[0].Ref != tc.want || sigs[0].Label != post.Propaganda || !recycled.Represented(sigs) {
				t.Fatalf("signals %+v, want one linking %s", sigs, tc.want)
			}
		})
	}
}
