package whatsapp

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

// stream hides Seek and ReadAt, as stdin would.
type stream struct{ io.Reader }

func openTestdata(name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join("testdata", name))
}

func decodeFile(t *testing.T, file, name string, seekable bool, open func(string) (io.ReadCloser, error)) ([]post.Post, []source.Rejection) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if !seekable {
		r = stream{f}
	}
	return sourcetest.Decode(t, Decoder{}, source.Input{Name: name, R: r, Open: open})
}

func decodeString(t *testing.T, name, text string) ([]post.Post, []source.Rejection, error) {
	t.Helper()
	return source.Collect(Decoder{}, source.Input{Name: name, R: strings.NewReader(text)})
}

// summary is the part of a post most tests compare.
type summary struct {
	Kind    post.Kind
	Author  string
	Text    string
	Posted  string
	Line    int
	Deleted bool
}

func summarize(ps []post.Post) []summary {
	out := make([]summary, len(ps))
	for i, p := range ps {
		out[i] = summary{p.Kind, p.Author.ID, p.Text, p.PostedAt.Format(time.RFC3339), p.Origin.Line, p.Deleted}
	}
	return out
}

// checkGolden compares ps and rs with testdata/golden/name.json, whose
// keys are lower-case, unlike sourcetest.GoldenPosts.
func checkGolden(t *testing.T, name string, ps []post.Post, rs []source.Rejection) {
	t.Helper()
	view := struct {
		Posts      []post.Post        `json:"posts"`
		Rejections []source.Rejection `json:"rejections"`
	}{Rejections: rs}
	for _, p := range ps {
		p.Raw = nil // checked byte for byte elsewhere; base64 hides diffs
		view.Posts = append(view.Posts, p)
	}
	got, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Golden(t, filepath.Join("testdata", "golden", name+".json"), got)
}

func TestSharedFixtures(t *testing.T) {
	t.Run("2A_5M.txt", func(t *testing.T) {
		file := shareddata.Need(t, "chat-exports-chat-analytics", "2A_5M.txt")
		ps, rs := decodeFile(t, file, "2A_5M.txt", true, nil)
		want := []summary{
			{post.Message, "A", "Hi", "2021-01-01T12:00:00Z", 1, false},
			{post.Message, "B", "Whats up?", "2021-01-01T12:01:00Z", 2, false},
			{post.Message, "A", "All good", "2021-01-01T12:02:00Z", 3, false},
			{post.Message, "B", "", "2021-01-01T12:03:00Z", 4, false},
			// Out of order in the file; kept in file order, with its own time.
			{post.Message, "A", "This message should be reordered", "2021-01-01T12:02:00Z", 5, false},
		}
		if got := summarize(ps); !reflect.DeepEqual(got, want) {
			t.Errorf("posts =\n%+v\nwant\n%+v", got, want)
		}
		if len(rs) != 0 {
			t.Errorf("rejections = %v", rs)
		}
		if m := ps[3].Media; len(m) != 1 || !m[0].Omitted {
			t.Errorf("<media omitted> gave media %+v", m)
		}
		if ps[0].Channel.Kind != "chat" || ps[0].Channel.Name != "2A_5M" {
			t.Errorf("channel = %+v, want a chat named 2A_5M", ps[0].Channel)
		}
	})

	var txt []post.Post
	for _, name := range []string{"4A_11M.txt", "4A_11M.zip"} {
		t.Run(name, func(t *testing.T) {
			file := shareddata.Need(t, "chat-exports-chat-analytics", name)
			for _, seekable := range []bool{true, false} {
				ps, rs := decodeFile(t, file, name, seekable, nil)
				if len(ps) != 14 || len(rs) != 0 {
					t.Fatalf("seekable=%v: %d posts, %d rejections; want 14 and 0", seekable, len(ps), len(rs))
				}
				authors := map[string]int{}
				var service []summary
				for _, s := range summarize(ps) {
					if s.Kind == post.Service {
						service = append(service, s)
					} else {
						authors[s.Author]++
					}
				}
				wantAuthors := map[string]int{"Alice": 3, "Bob": 2, "Eve": 2, "Mallory": 2, "Trent": 2}
				if !reflect.DeepEqual(authors, wantAuthors) {
					t.Errorf("message authors = %v, want %v", authors, wantAuthors)
				}
				wantService := []summary{
					{post.Service, "", "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.", "2020-12-09T23:55:00Z", 1, false},
					{post.Service, "Alice", "Alice created group \"Some cool group chat\"", "2020-12-09T23:16:00Z", 2, false},
					{post.Service, "Alice", "Alice added you", "2020-12-09T23:55:00Z", 3, false},
				}
				if !reflect.DeepEqual(service, wantService) {
					t.Errorf("service lines =\n%+v\nwant\n%+v", service, wantService)
				}
				if ps[0].Channel.Kind != "group" {
					t.Errorf("channel kind = %q, want group", ps[0].Channel.Kind)
				}
				if name == "4A_11M.zip" && !strings.HasSuffix(string(ps[3].Raw), "\r\n") {
					t.Errorf("raw %q lost the CRLF of the zip's text", ps[3].Raw)
				}
				if name == "4A_11M.txt" {
					txt = ps
				}
			}
		})
	}
	// The .txt and the .zip of one export are the same chat: same ids.
	if len(txt) == 14 {
		file := shareddata.Need(t, "chat-exports-chat-analytics", "4A_11M.zip")
		zipped, _ := decodeFile(t, file, "4A_11M.zip", true, nil)
		for i := range txt {
			if txt[i].Key() != zipped[i].Key() {
				t.Errorf("post %d: txt key %s, zip key %s", i, txt[i].Key(), zipped[i].Key())
			}
		}
	}
}

func TestAndroidArabic(t *testing.T) {
	ps, rs := decodeFile(t, "testdata/android_ar.txt", "WhatsApp Chat with غرفة الأنصار.txt", true, openTestdata)
	checkGolden(t, "android_ar", ps, rs)

	want := []summary{
		{post.Service, "", "الرسائل والمكالمات مشفرة تمامًا بين الطرفين. لا أحد خارج هذه الدردشة، ولا حتى واتساب، يمكنه قراءتها أو الاستماع إليها. انقر لمعرفة المزيد.", "2020-07-24T23:58:00Z", 1, false},
		{post.Service, "أبو محمد", "أنشأ أبو محمد المجموعة \"غرفة الأنصار\"", "2020-07-24T23:58:00Z", 2, false},
		{post.Service, "", "أضاف أبو محمد \u200e+966 50 123 4567", "2020-07-24T23:59:00Z", 3, false},
		{post.Service, "أبو عمر", "انضم أبو عمر باستخدام رابط الدعوة الخاص بهذه المجموعة", "2020-07-25T00:00:00Z", 4, false},
		{post.Message, "أبو محمد", "السلام عليكم ورحمة الله\nأهلاً بالإخوة الجدد\nتابعوا القناة https://t.me/example_channel، و #غرفة_الأنصار", "2020-07-25T00:01:00Z", 5, false},
		{post.Service, "+966 50 123 4567", "تم حذف هذه الرسالة", "2020-07-25T00:02:00Z", 8, true},
		{post.Message, "أبو محمد", "", "2020-07-25T00:03:00Z", 9, false},
		{post.Message, "أبو محمد", "", "2020-07-25T13:15:00Z", 10, false},
		{post.Message, "أبو عمر", "@966501234567 راجع الخاص", "2020-07-25T13:16:00Z", 11, false},
		{post.Message, "أبو عمر", "@966501234567 راجع الخاص", "2020-07-25T13:16:00Z", 12, false},
		{post.Message, "أبو محمد", "صورة الإصدار الجديد", "2020-07-25T13:17:00Z", 13, false},
		{post.Service, "+966 50 123 4567", "غادر \u200e+966 50 123 4567", "2020-07-26T09:00:00Z", 17, false},
	}
	if got := summarize(ps); !reflect.DeepEqual(got, want) {
		t.Fatalf("posts =\n%+v\nwant\n%+v", got, want)
	}
	wantRej := []source.Rejection{{File: "WhatsApp Chat with غرفة الأنصار.txt", Line: 15, Reason: "impossible date 2020-7-32 (day-first, as decided for this file)"}}
	if !reflect.DeepEqual(rs, wantRej) {
		t.Errorf("rejections = %+v, want %+v", rs, wantRej)
	}

	ch := ps[0].Channel
	if ch.Name != "غرفة الأنصار" || ch.ID != post.StableID("غرفة الأنصار") || ch.Kind != "group" {
		t.Errorf("channel = %+v", ch)
	}
	if got := ps[4].Outlinks; !reflect.DeepEqual(got, []string{"https://t.me/example_channel"}) {
		t.Errorf("outlinks = %q", got)
	}
	if got := ps[4].Hashtags; !reflect.DeepEqual(got, []string{"غرفة_الأنصار"}) {
		t.Errorf("hashtags = %q", got)
	}
	if got := ps[8].Mentions; !reflect.DeepEqual(got, []string{"966501234567"}) {
		t.Errorf("mentions = %q", got)
	}
	if ps[8].ID == ps[9].ID {
		t.Error("two identical messages in one minute share an id")
	}
	for i, kind := range map[int]string{6: "photo", 7: "file"} {
		if m := ps[i].Media; len(m) != 1 || !m[0].Omitted || m[0].Kind != kind {
			t.Errorf("post %d media = %+v, want one omitted %s", i, m, kind)
		}
	}
	img := sourcetest.Fixture(t, "IMG-20200725-WA0001.jpg")
	sum := sha256.Sum256(img)
	m := ps[10].Media
	if len(m) != 1 || m[0].Path != "IMG-20200725-WA0001.jpg" || m[0].Kind != "photo" ||
		m[0].Hash("sha256") != hex.EncodeToString(sum[:]) || m[0].Size != int64(len(img)) || m[0].Hash("md5") == "" {
		t.Errorf("attached image = %+v", m)
	}
	wantRaw := "٢٥\u200f/٧\u200f/٢٠٢٠ ١٢:٠١ ص - أبو محمد: السلام عليكم ورحمة الله\nأهلاً بالإخوة الجدد\nتابعوا القناة https://t.me/example_channel، و #غرفة_الأنصار\n"
	if string(ps[4].Raw) != wantRaw {
		t.Errorf("raw = %q, want %q", ps[4].Raw, wantRaw)
	}
	for _, p := range ps {
		if p.Platform != post.WhatsApp || p.Origin.Format != "whatsapp" || p.PostedAt.Location() != time.UTC || !p.CollectedAt.IsZero() {
			t.Errorf("post at line %d: platform %q format %q zone %v collected %v", p.Origin.Line, p.Platform, p.Origin.Format, p.PostedAt.Location(), p.CollectedAt)
		}
	}

	t.Run("without Open the media has no hashes", func(t *testing.T) {
		ps, _ := decodeFile(t, "testdata/android_ar.txt", "android_ar.txt", true, nil)
		if m := ps[10].Media; len(m) != 1 || m[0].Path == "" || m[0].Hash("sha256") != "" {
			t.Errorf("media = %+v", m)
		}
	})
	t.Run("a stream gives the same posts", func(t *testing.T) {
		streamed, srs := decodeFile(t, "testdata/android_ar.txt", "WhatsApp Chat with غرفة الأنصار.txt", false, openTestdata)
		if !reflect.DeepEqual(streamed, ps) || !reflect.DeepEqual(srs, rs) {
			t.Error("decoding a stream differs from decoding a file")
		}
	})
	t.Run("re-import gives the same ids", func(t *testing.T) {
		again, _ := decodeFile(t, "testdata/android_ar.txt", "WhatsApp Chat with غرفة الأنصار.txt", true, openTestdata)
		for i := range ps {
			if again[i].ID != ps[i].ID {
				t.Errorf("post %d: id %s then %s", i, ps[i].ID, again[i].ID)
			}
		}
	})
}

func TestIOSArabic(t *testing.T) {
	ps, rs := decodeFile(t, "testdata/ios_ar.txt", "WhatsApp Chat - غرفة الأنصار.zip", true, openTestdata)
	checkGolden(t, "ios_ar", ps, rs)
	want := []summary{
		{post.Service, "", "\u200eالرسائل والمكالمات مشفرة تمامًا بين الطرفين. لا أحد خارج هذه الدردشة، ولا حتى واتساب، يمكنه قراءتها أو الاستماع إليها.", "2020-07-05T10:00:00Z", 1, false},
		{post.Service, "أبو محمد", "\u200eأنشأ أبو محمد المجموعة \"غرفة الأنصار\"", "2020-07-05T10:00:05Z", 2, false},
		{post.Service, "+966 55 765 4321", "\u200e\u200f+966 55 765 4321 انضم باستخدام رابط الدعوة الخاص بهذه المجموعة", "2020-07-05T10:15:00Z", 3, false},
		{post.Message, "أبو محمد", "مرحباً بكم\nهذه رسالة من سطرين", "2020-07-05T12:00:00Z", 4, false},
		// "left" typed by a person, without the system mark: a message.
		{post.Message, "أبو محمد", "غادر", "2020-07-05T12:01:30Z", 6, false},
		{post.Message, "+966 55 765 4321", "", "2020-07-06T20:30:00Z", 7, false},
		{post.Service, "+966 55 765 4321", "\u200eتم حذف هذه الرسالة.", "2020-07-06T20:31:00Z", 8, true},
		{post.Message, "أبو محمد", "", "2020-07-06T20:32:00Z", 9, false},
		{post.Message, "أبو محمد", "https://example.org/bayan.pdf #بيان", "2020-07-06T20:33:00Z", 10, false},
	}
	if got := summarize(ps); !reflect.DeepEqual(got, want) {
		t.Fatalf("posts =\n%+v\nwant\n%+v", got, want)
	}
	if len(rs) != 0 {
		t.Errorf("rejections = %v", rs)
	}
	if m := ps[7].Media; len(m) != 1 || m[0].Path != "00000012-PHOTO-2020-07-06-20-32-00.jpg" || m[0].Kind != "photo" || m[0].Hash("sha256") != "" {
		t.Errorf("absent attachment = %+v, want path and kind without hashes", m)
	}
	if !strings.HasSuffix(string(ps[3].Raw), "هذه رسالة من سطرين\r\n") {
		t.Errorf("raw %q does not keep the CRLF lines", ps[3].Raw)
	}
	if ps[0].Channel.Name != "غرفة الأنصار" || ps[0].Channel.Kind != "group" {
		t.Errorf("channel = %+v", ps[0].Channel)
	}
}

func TestZip(t *testing.T) {
	img := sourcetest.Fixture(t, "IMG-20200725-WA0001.jpg")
	sum := sha256.Sum256(img)
	var first []post.Post
	for _, seekable := range []bool{true, false} {
		ps, rs := decodeFile(t, "testdata/arabic_media.zip", "arabic_media.zip", seekable, nil)
		if len(rs) != 0 {
			t.Errorf("rejections = %v", rs)
		}
		want := []summary{
			{post.Service, "", "الرسائل والمكالمات مشفرة تمامًا بين الطرفين. لا أحد خارج هذه الدردشة، ولا حتى واتساب، يمكنه قراءتها أو الاستماع إليها. انقر لمعرفة المزيد.", "2020-08-03T09:00:00Z", 1, false},
			{post.Message, "أبو محمد", "", "2020-08-03T09:05:00Z", 2, false},
			{post.Message, "أبو محمد", "مقطع جديد", "2020-08-03T09:06:00Z", 3, false},
			{post.Message, "أبو عمر", "جزاك الله خيرا", "2020-08-03T09:07:00Z", 5, false},
		}
		if got := summarize(ps); !reflect.DeepEqual(got, want) {
			t.Fatalf("seekable=%v: posts =\n%+v\nwant\n%+v", seekable, got, want)
		}
		if m := ps[1].Media; len(m) != 1 || m[0].Hash("sha256") != hex.EncodeToString(sum[:]) || m[0].Size != int64(len(img)) || m[0].MIME != "image/jpeg" {
			t.Errorf("zipped image = %+v", m)
		}
		if m := ps[2].Media; len(m) != 1 || m[0].Path != "VID-20200803-WA0002.mp4" || m[0].Kind != "video" || m[0].Hash("sha256") != "" {
			t.Errorf("absent video = %+v", m)
		}
		if ps[0].Channel.Kind != "chat" {
			t.Errorf("channel kind = %q, want chat (two people, no group lines)", ps[0].Channel.Kind)
		}
		if first == nil {
			first = ps
		} else if !reflect.DeepEqual(first, ps) {
			t.Error("a zip read as a stream differs from one read as a file")
		}
	}
}

// TestDayMonthOrder checks the per-file rule documented on facts.dayFirst.
func TestDayMonthOrder(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // PostedAt dates of the posts
		rej  int
	}{
		{"day above 12 late in the file makes it day-first",
			"1/2/20, 10:00 - a: x\n13/2/20, 10:00 - b: y\n", []string{"2020-02-01", "2020-02-13"}, 0},
		{"month above 12 makes it month-first",
			"1/2/20, 10:00 - a: x\n2/13/20, 10:00 - b: y\n", []string{"2020-01-02", "2020-02-13"}, 0},
		{"ambiguous US style is month-first",
			"1/2/20, 10:00 - a: x\n", []string{"2020-01-02"}, 0},
		{"ambiguous four-digit year is day-first",
			"1/2/2020, 10:00 - a: x\n", []string{"2020-02-01"}, 0},
		{"ambiguous dotted is day-first",
			"1.2.20, 10:00 - a: x\n", []string{"2020-02-01"}, 0},
		{"ambiguous Arabic digits are day-first",
			"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - أ: س\n", []string{"2020-02-01"}, 0},
		{"year first is fixed",
			"[2020/01/02, 10:00:00] a: x\n", []string{"2020-01-02"}, 0},
		{"the majority wins and the minority is rejected",
			"13/1/20, 10:00 - a: x\n14/1/20, 10:00 - a: x\n1/13/20, 10:00 - a: y\n", []string{"2020-01-13", "2020-01-14"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, rs, err := decodeString(t, "chat.txt", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.PostedAt.Format(time.DateOnly))
			}
			if !reflect.DeepEqual(got, tt.want) || len(rs) != tt.rej {
				t.Errorf("dates %v with %d rejections (%v), want %v with %d", got, len(rs), rs, tt.want, tt.rej)
			}
		})
	}
}

func TestMultiLine(t *testing.T) {
	// From whatsapp-chat-parser's index test: blank lines inside a message
	// are kept, and a continuation line may itself start with a date.
	text := "06/03/2017, 00:45 - Messages to this group are now secured with end-to-end encryption. Tap for more info.\n" +
		"06/03/2017, 00:45 - You created group \"ShortChat\"\n" +
		"06/03/2017, 00:45 - Sample User: This is a test message\n" +
		"08/05/2017, 01:48 - TestBot: Hey I'm a test too!\n" +
		"09/04/2017, 01:50 - +410123456789: How are you?\n\nIs everything alright?\n2016-04-29 10:30:00\n"
	ps, rs, err := decodeString(t, "short.txt", text)
	if err != nil || len(rs) != 0 {
		t.Fatalf("err %v, rejections %v", err, rs)
	}
	if len(ps) != 5 {
		t.Fatalf("%d posts, want 5", len(ps))
	}
	if got, want := ps[4].Text, "How are you?\n\nIs everything alright?\n2016-04-29 10:30:00"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if ps[0].Kind != post.Service || ps[1].Kind != post.Service || ps[2].Kind != post.Message {
		t.Errorf("kinds %s %s %s", ps[0].Kind, ps[1].Kind, ps[2].Kind)
	}
	// 06/03 and 09/04 stay ambiguous, 2017 has four digits: day-first.
	if got := ps[4].PostedAt.Format(time.DateOnly); got != "2017-04-09" {
		t.Errorf("date = %s, want 2017-04-09", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		line    string
		service bool
		group   bool
		actor   string
		deleted bool
		omitted string
	}{
		{"1/2/20, 10:00 - Alice joined using this group's invite link", true, true, "Alice", false, ""},
		{"1/2/20, 10:00 - \u202a+44 7700 900123\u202c left", true, true, "+44 7700 900123", false, ""},
		{"1/2/20, 10:00 - Bob removed Carol", true, true, "Bob", false, ""},
		{"1/2/20, 10:00 - Your security code with Dan changed. Tap to learn more.", true, false, "Dan", false, ""},
		{"1/2/20, 10:00 - Eve: This message was deleted", true, false, "Eve", true, ""},
		{"1/2/20, 10:00 - Eve: You deleted this message", true, false, "Eve", true, ""},
		{"1/2/20, 10:00 - Eve: <Media omitted>", false, false, "", false, "file"},
		{"[1/2/20, 10:00:00] Eve: \u200eimage omitted", false, false, "", false, "photo"},
		{"[1/2/20, 10:00:00] Eve: \u200eGIF omitted", false, false, "", false, "animation"},
		{"[1/2/20, 10:00:00] Group: \u200eEve joined using this group's invite link", true, true, "Eve", false, ""},
		{"[1/2/20, 10:00:00] Eve: Bob left", false, false, "", false, ""},
		{"1/2/20, 10:00 - Eve: nothing omitted", false, false, "", false, ""},
		{"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - أبو عمر انضم باستخدام رابط الدعوة", true, true, "أبو عمر", false, ""},
		{"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - أضافك أبو محمد", true, true, "أبو محمد", false, ""},
		{"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - غيّر أبو محمد اسم المجموعة إلى \"الأنصار\"", true, true, "أبو محمد", false, ""},
		{"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - أبو عمر: لم يتم إدراج الفيديو", false, false, "", false, "video"},
		{"١\u200f/٢\u200f/٢٠ ١٠:٠٠ ص - أبو عمر: لقد حذفت هذه الرسالة", true, false, "أبو عمر", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h, ok := parseHeader(tt.line)
			if !ok {
				t.Fatal("not a header")
			}
			c := classify(&h)
			want := class{service: tt.service, group: tt.group, actor: tt.actor, deleted: tt.deleted, omitted: tt.omitted}
			if c != want {
				t.Errorf("classify = %+v, want %+v", c, want)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		text                      string
		links, mentions, hashtags []string
	}{
		{"see https://example.com/a?b=1. and www.example.org,", []string{"https://example.com/a?b=1", "http://www.example.org"}, nil, nil},
		{"@966501234567 @\u2068أبو محمد\u2069 hi@example", nil, []string{"966501234567", "أبو محمد"}, nil},
		{"#الدولة_الإسلامية و#خبر #خبر a#b &#39;", nil, nil, []string{"الدولة_الإسلامية", "خبر"}},
		{"https://t.me/s/channel#anchor", []string{"https://t.me/s/channel#anchor"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := post.Post{Text: tt.text}
			extract(&p)
			if !reflect.DeepEqual(p.Outlinks, tt.links) || !reflect.DeepEqual(p.Mentions, tt.mentions) || !reflect.DeepEqual(p.Hashtags, tt.hashtags) {
				t.Errorf("links %q mentions %q hashtags %q; want %q %q %q", p.Outlinks, p.Mentions, p.Hashtags, tt.links, tt.mentions, tt.hashtags)
			}
		})
	}
}

func TestAttachment(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"IMG-20200101-WA0001.jpg (file attached)", "IMG-20200101-WA0001.jpg"},
		{"\u200eIMG-20200101-WA0001.jpg (ملف مرفق)", "IMG-20200101-WA0001.jpg"},
		{"Report.pdf • 3 pages (file attached)", "Report.pdf"},
		{"\u200e<attached: 00000012-PHOTO-2020-01-01-12-00-00.jpg>", "00000012-PHOTO-2020-01-01-12-00-00.jpg"},
		{"Report.pdf • \u200e3 pages \u200e<attached: 00000013-Report.pdf>", "00000013-Report.pdf"},
		{"../../etc/passwd (file attached)", ""},
		{"<attached: a/b.jpg>", ""},
		{"just a (file attached) mention in text", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, _ := attachment(tt.line)
			if got != tt.want {
				t.Errorf("attachment = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChatName(t *testing.T) {
	tests := []struct{ file, member, want string }{
		{"/exports/WhatsApp Chat with غرفة الأنصار.txt", "", "غرفة الأنصار"},
		{`C:\exports\WhatsApp Chat - غرفة الأنصار.zip`, "_chat.txt", "غرفة الأنصار"},
		{"دردشة واتساب مع غرفة الأنصار.zip", "", "غرفة الأنصار"},
		{"-", "WhatsApp Chat with Room.txt", "Room"},
		{"", "_chat.txt", "whatsapp"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if got := chatName(tt.file, tt.member); got != tt.want {
				t.Errorf("chatName(%q, %q) = %q, want %q", tt.file, tt.member, got, tt.want)
			}
		})
	}
}

func TestNotWhatsApp(t *testing.T) {
	late := strings.Repeat("preamble line\n", 400) + "1/2/20, 10:00 - a: x\n"
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"prose", "Dear all,\nthis is not a chat export.\n"},
		{"header after 4 KiB", late},
		{"damaged zip", "PK\x03\x04 not really a zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.data), stream{strings.NewReader(tt.data)}} {
				ps, _, err := source.Collect(Decoder{}, source.Input{Name: "x.txt", R: r})
				if !errors.Is(err, source.ErrFormat) || len(ps) != 0 {
					t.Errorf("%d posts, err %v; want ErrFormat", len(ps), err)
				}
			}
		})
	}
}

func TestTextBeforeFirstHeader(t *testing.T) {
	_, rs, err := decodeString(t, "chat.txt", "stray line\n\n1/2/20, 10:00 - a: x\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Line != 1 || rs[0].File != "chat.txt" {
		t.Errorf("rejections = %+v, want one at chat.txt:1", rs)
	}
}

func TestSinkError(t *testing.T) {
	sourcetest.SinkErrorStops(t, Decoder{}, "chat.txt", "1/2/20, 10:00 - a: x\n1/2/20, 10:01 - a: y\n")
}

func TestSniff(t *testing.T) {
	zipHead := sourcetest.Fixture(t, "arabic_media.zip")
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"chat.txt", "12/9/20, 23:55 - Bob: hello\n", true},
		{"chat.txt", "\ufeff[٢٤\u200f/٧\u200f/٢٠٢٠، ١٢:٠٠:٠٠ م] أبو محمد: نص\r\n", true},
		{"notes.txt", "meeting on 12/9/20 at 23:55\n", false},
		{"feed.xml", "<?xml version=\"1.0\"?><rss/>", false},
		{"export.zip", string(zipHead[:min(len(zipHead), 4096)]), true},
		{"export.bin", string(zipHead[:min(len(zipHead), 4096)]), false},
		{"other.zip", "PK\x03\x04\x14\x00\x00\x00result.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Decoder{}).Sniff(tt.name, []byte(tt.head)); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzDecode checks that any input decodes without panicking, that posts
// are well formed, and that the only errors are ErrFormat and ErrDamaged.
func FuzzDecode(f *testing.F) {
	sourcetest.AddFixtures(f, "android_ar.txt", "ios_ar.txt", "arabic_media.zip")
	f.Add([]byte("12/9/20, 23:55 - Alice: hi\ncontinued\n12/9/20, 23:56 - Alice left\n"))
	f.Add([]byte("[3/6/18 1:55:00 p. m.] a: <attached: x.jpg>\n"))
	f.Add([]byte("13.6.2018 klo 21.25.15 - a: m\n32/1/20, 10:00 - a: m\n"))
	// Over the limits of the second pass: a long line, a long message of
	// short lines, a zip that unpacks to more than it may.
	long := strings.Repeat("ب", 40)
	f.Add([]byte("12/9/20, 23:55 - a: " + long + "\n12/9/20, 23:56 - a: b\n"))
	f.Add([]byte("12/9/20, 23:55 - a: x\n" + long + "\n" + long + "\n12/9/20, 23:56 - a: b\n"))
	f.Add(zipOf(f, [2]string{"_chat.txt", strings.Repeat("12/9/20, 23:55 - a: x\n", 20)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, limit := range []int64{0, 64} {
			fuzzDecode(t, data, limit)
		}
	})
}

// fuzzDecode decodes data with the given record and unpacked limits and
// checks the outcome.
func fuzzDecode(t *testing.T, data []byte, limit int64) {
	ps, rs, err := source.Collect(Decoder{}, source.Input{Name: "fuzz.txt", R: bytes.NewReader(data), MaxRecord: limit, MaxUnpacked: 4 * limit})
	if err != nil && !errors.Is(err, source.ErrFormat) && !errors.Is(err, source.ErrDamaged) {
		t.Fatalf("error %v wraps neither ErrFormat nor ErrDamaged", err)
	}
	for _, p := range ps {
		if p.ID == "" || p.Origin.Line < 1 || len(p.Raw) == 0 || p.PostedAt.Location() != time.UTC {
			t.Fatalf("malformed post %+v", p)
		}
	}
	for _, r := range rs {
		if r.Line < 1 || r.Reason == "" {
			t.Fatalf("malformed rejection %+v", r)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	for i := range 20000 {
		buf.WriteString("٢٥\u200f/٧\u200f/٢٠٢٠ ١:١٦ م - أبو عمر: رسالة رقم ")
		buf.WriteString(strings.Repeat("نص ", i%20))
		buf.WriteString("https://t.me/x #وسم\n")
	}
	sourcetest.BenchDecode(b, Decoder{}, "bench.txt", buf.Bytes(), 20000)
}

// TestRecordLimit checks that a line or message over the record limit is
// rejected with its line and size, and the messages around it kept: a line
// over the old scanner limit lost the whole chat.
func TestRecordLimit(t *testing.T) {
	long := strings.Repeat("ب", 600) // 1200 bytes
	tests := []struct {
		name, text string
		wantTexts  []string
		wantLine   int
	}{
		{"long header line", "12/9/20, 23:55 - a: أول\n12/9/20, 23:56 - a: " + long + "\n12/9/20, 23:57 - a: آخر\n",
			[]string{"أول", "آخر"}, 2},
		{"long continuation line", "12/9/20, 23:55 - a: أول\n12/9/20, 23:56 - a: ثان\n" + long + "\nتتمة\n12/9/20, 23:57 - a: آخر\n",
			[]string{"أول", "آخر"}, 2},
		{"long message of short lines", "12/9/20, 23:55 - a: أول\n12/9/20, 23:56 - a: ثان\n" + strings.Repeat("سطر قصير\n", 100) + "12/9/20, 23:57 - a: آخر\n",
			[]string{"أول", "آخر"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, seekable := range []bool{true, false} {
				var r io.Reader = strings.NewReader(tt.text)
				if !seekable {
					r = stream{r}
				}
				ps, rs := sourcetest.Decode(t, Decoder{}, source.Input{Name: "chat.txt", R: r, MaxRecord: 1000})
				var texts []string
				for _, p := range ps {
					texts = append(texts, p.Text)
				}
				if !reflect.DeepEqual(texts, tt.wantTexts) {
					t.Errorf("seekable=%v: posts %q, want %q", seekable, texts, tt.wantTexts)
				}
				if len(rs) != 1 || rs[0].Line != tt.wantLine || !strings.Contains(rs[0].Reason, "limit of 1000 bytes") {
					t.Errorf("seekable=%v: rejections %+v, want one at line %d naming the limit", seekable, rs, tt.wantLine)
				}
			}
		})
	}
}

// zipOf writes a zip of the given members, in order.
func zipOf(t testing.TB, members ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUnpackedLimit checks that a zip stops being read at --max-unpacked
// with a rejection, keeping what came before.
func TestUnpackedLimit(t *testing.T) {
	var chat strings.Builder
	for i := range 200 {
		fmt.Fprintf(&chat, "12/9/20, 23:%02d - a: رسالة %d\n", i%60, i)
	}
	z := zipOf(t, [2]string{"_chat.txt", chat.String()})
	ps, rs, err := source.Collect(Decoder{}, source.Input{Name: "big.zip", R: bytes.NewReader(z), MaxUnpacked: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !strings.Contains(rs[0].Reason, "--max-unpacked") || rs[0].File != "big.zip" {
		t.Fatalf("rejections %+v, want one naming the limit", rs)
	}
	// The facts pass reads the chat once before the posts pass.
	if len(ps) != 0 {
		t.Errorf("%d posts past the limit", len(ps))
	}
	ps, rs, err = source.Collect(Decoder{}, source.Input{Name: "big.zip", R: bytes.NewReader(z), MaxUnpacked: int64(2*chat.Len() + 4096)})
	if err != nil || len(ps) != 200 || len(rs) != 0 {
		t.Errorf("within the limit: %d posts, %v, %v", len(ps), rs, err)
	}
}
