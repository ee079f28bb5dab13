package post

import "testing"

func TestKey(t *testing.T) {
	tests := []struct {
		name                  string
		platform, channel, id string
		want                  string
	}{
		{"ordinary", "x", "123", "456", "x:123:456"},
		{"negative channel", "telegram", "-100123", "5", "telegram:-100123:5"},
		{"colon in channel", "feed", "https://news.example:a", "1", "feed:https%3A//news.example%3Aa:1"},
		{"colon in id", "feed", "https://news.example", "a:1", "feed:https%3A//news.example:a%3A1"},
		{"percent", "feed", "a%3A", "1", "feed:a%253A:1"},
		{"empty channel", "whatsapp", "", "9", "whatsapp::9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Post{Platform: Platform(tc.platform), Channel: Channel{ID: tc.channel}, ID: tc.id}
			if got := p.Key(); got != tc.want {
				t.Errorf("Key() = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzKey checks that keys are injective: two different (platform,
// channel, id) triples never share a key.
func FuzzKey(f *testing.F) {
	f.Add("feed", "https://news.example:a", "1", "feed", "https://news.example", "a:1")
	f.Add("x", "a%3A", "b", "x", "a:", "b")
	f.Add("telegram", "-100", "5", "telegram", "-100", "5")
	f.Fuzz(func(t *testing.T, p1, c1, i1, p2, c2, i2 string) {
		same := p1 == p2 && c1 == c2 && i1 == i2
		if k1, k2 := KeyOf(p1, c1, i1), KeyOf(p2, c2, i2); (k1 == k2) != same {
			t.Errorf("KeyOf(%q, %q, %q) = %q and KeyOf(%q, %q, %q) = %q", p1, c1, i1, k1, p2, c2, i2, k2)
		}
	})
}
