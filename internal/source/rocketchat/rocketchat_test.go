package rocketchat

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/source/sourcetest"
)

// checkPosts asserts that every post has the fields every Rocket.Chat post
// needs and none that a response cannot give.
func checkPosts(t *testing.T, ps []post.Post) {
	t.Helper()
	for _, p := range ps {
		if p.Platform != post.RocketChat || p.Origin.Format != Name || p.Channel.ID == "" || p.Author.ID == "" || p.PostedAt.IsZero() ||
			p.Norm != "" || !p.CollectedAt.IsZero() || p.URL != "" {
			t.Errorf("post %s: %+v", p.ID, p)
		}
	}
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		file    string
		ids     []string
		reasons []string
		check   func(t *testing.T, byID map[string]post.Post)
	}{
		{
			file:    "history.json",
			ids:     []string{"sysJoin0001", "msgFake0002", "msgFake0003", "msgFake0004", "msgFake0005", "msgFake0006", "msgFake0007", "msgFake0008", "msgFake0009", "msgFake0013"},
			reasons: []string{`"_id"`, `without "rid"`, `"ts"`},
			check: func(t *testing.T, byID map[string]post.Post) {
				if p := byID["sysJoin0001"]; p.Kind != post.Service || p.Text != "uj: abu_wahm" || p.Author.Handle != "abu_wahm" {
					t.Errorf("system message: %+v", p)
				}
				p2 := byID["msgFake0002"]
				if p2.Kind != post.Message || p2.Channel.ID != "r00mFakeAnsar01" || !reflect.DeepEqual(p2.Author, post.Account{Platform: post.RocketChat, ID: "uFake0001", Handle: "abu_wahm", DisplayName: "أبو الوهم (مختلق)"}) {
					t.Errorf("msgFake0002: %+v", p2)
				}
				if !slices.Equal(p2.Mentions, []string{"ansar_fake"}) || !slices.Equal(p2.Outlinks, []string{"https://example.invalid/release"}) {
					t.Errorf("msgFake0002 mentions %q outlinks %q", p2.Mentions, p2.Outlinks)
				}
				if want := time.Date(2024, 5, 1, 8, 5, 0, 0, time.UTC); !p2.PostedAt.Equal(want) {
					t.Errorf("PostedAt = %v, want %v", p2.PostedAt, want)
				}
				if p := byID["msgFake0003"]; p.ReplyTo != "msgFake0002" {
					t.Errorf("thread reply ReplyTo = %q", p.ReplyTo)
				}
				up := byID["msgFake0004"]
				if up.Text != "[نص مختلق] ملصق من إصدار وهمي" || len(up.Media) != 1 ||
					!reflect.DeepEqual(up.Media[0], post.Media{Kind: "photo", ID: "fileFake0001", URL: "/file-upload/fileFake0001/poster.jpg", MIME: "image/jpeg", Size: 2048, Width: 640, Height: 480}) {
					t.Errorf("upload: text %q media %+v", up.Text, up.Media)
				}
				if p := byID["msgFake0005"]; !p.EditedAt.Equal(time.Date(2024, 5, 1, 8, 25, 30, 500e6, time.UTC)) {
					t.Errorf("EditedAt = %v", p.EditedAt)
				}
				if p := byID["msgFake0006"]; p.QuoteOf != "msgFake0002" || p.Text != "[نص مختلق] هذا ما قصدته" {
					t.Errorf("quote: QuoteOf %q text %q", p.QuoteOf, p.Text)
				}
				if p := byID["msgFake0007"]; !p.PostedAt.Equal(time.UnixMilli(1714550400000)) {
					t.Errorf("EJSON date = %v", p.PostedAt)
				}
				if p := byID["msgFake0008"]; !p.Deleted || p.Kind != post.Service || p.Text != "rm" {
					t.Errorf("removed message: %+v", p)
				}
				if p := byID["msgFake0009"]; p.Kind != post.Message || p.Text != "[نص مختلق] نص حذفه صاحبه لاحقاً" {
					t.Errorf("hidden earlier version: %+v", p)
				}
			},
		},
		{
			file:    "pages.json",
			ids:     []string{"dmFake0003", "dmFake0002", "dmFake0001"},
			reasons: []string{"error-room-not-found"},
			check: func(t *testing.T, byID map[string]post.Post) {
				if p := byID["dmFake0001"]; p.Channel.ID != "uFake0001uFake0003" || p.Author.Handle != "news_watch" {
					t.Errorf("dmFake0001: %+v", p)
				}
			},
		},
		{
			file: "pages.jsonl",
			ids:  []string{"grpMsg0002", "grpSys0001"},
			check: func(t *testing.T, byID map[string]post.Post) {
				if p := byID["grpSys0001"]; p.Kind != post.Service || p.Text != "au: ansar_fake" {
					t.Errorf("grpSys0001: %+v", p)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ps, rs, data := sourcetest.DecodeFile(t, Decoder{}, filepath.Join("testdata", tt.file))
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tt.ids) {
				t.Errorf("ids %q, want %q", ids, tt.ids)
			}
			if len(rs) != len(tt.reasons) {
				t.Fatalf("rejections %v, want %d", rs, len(tt.reasons))
			}
			for i, want := range tt.reasons {
				if !strings.Contains(rs[i].Reason, want) || rs[i].Offset <= 0 || data[rs[i].Offset] != '{' {
					t.Errorf("rejection %d = %v, want a reason naming %s and the record's offset", i, rs[i], want)
				}
			}
			sourcetest.CheckRaw(t, data, ps)
			checkPosts(t, ps)
			tt.check(t, sourcetest.ByID(ps))
			sourcetest.GoldenPosts(t, filepath.Join("testdata", strings.ReplaceAll(tt.file, ".", "-")+".golden.json"), ps, rs)
		})
	}
}

// TestSharedExamples reads the response examples of Rocket.Chat's API spec.
func TestSharedExamples(t *testing.T) {
	tests := []struct {
		file              string
		posts             int
		service           []string
		firstID, firstRID string
		firstText         string
		firstTS           time.Time
	}{
		{"example_channels_history.json", 4, []string{"vkLMxcctR4MuTxreF", "bfRW658nEyEBg75rc", "pbuFiGadhRZTKouhB"},
			"AkzpHAvZpdnuchw2a", "ByehQjC44FwMeiLbX", "hi", time.Date(2016, 12, 9, 12, 50, 51, 555e6, time.UTC)},
		{"example_groups_history.json", 4, []string{"vkLMxcctR4MuTxreF", "bfRW658nEyEBg75rc", "pbuFiGadhRZTKouhB"},
			"AkzpHAvZpdnuchw2a", "ByehQjC44FwMeiLbX", "hi", time.Date(2025, 12, 9, 12, 50, 51, 555e6, time.UTC)},
		{"example_channels_messages.json", 4, []string{"3rfQYmS8MzCKnQbcu"},
			"uASTuwBEu7SBDAxxh", "6513afeda2f73c7460e18c86", "threaads produced links", time.Date(2023, 9, 27, 4, 36, 47, 522e6, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ps, rs, data := sourcetest.DecodeShared(t, Decoder{}, "rocketchat-openapi", tt.file)
			if len(ps) != tt.posts || len(rs) != 0 {
				t.Fatalf("got %d posts and rejections %v, want %d and none", len(ps), rs, tt.posts)
			}
			sourcetest.CheckRaw(t, data, ps)
			checkPosts(t, ps)
			if p := ps[0]; p.ID != tt.firstID || p.Channel.ID != tt.firstRID || p.Text != tt.firstText || !p.PostedAt.Equal(tt.firstTS) {
				t.Errorf("first post: %+v", p)
			}
			var service []string
			for _, p := range ps {
				if p.Kind == post.Service {
					service = append(service, p.ID)
				}
			}
			if !slices.Equal(service, tt.service) {
				t.Errorf("service posts %q, want %q", service, tt.service)
			}
			if !(Decoder{}).Sniff(tt.file, data[:min(len(data), 4096)]) {
				t.Error("Sniff does not recognize the file")
			}
		})
	}
	ps, _, _ := sourcetest.DecodeShared(t, Decoder{}, "rocketchat-openapi", "example_channels_messages.json")
	if rm := ps[2]; !rm.Deleted || !rm.EditedAt.Equal(time.Date(2023, 9, 27, 4, 36, 19, 494e6, time.UTC)) {
		t.Errorf("removed message: %+v", rm)
	}
}

func TestSniff(t *testing.T) {
	history := sourcetest.Fixture(t, "history.json")
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"history head", string(history[:200]), true},
		{"array of pages", `[{"messages":[{"_id":"a","rid":"b","msg":"x"}]}]`, true},
		{"jsonl", `{"messages":[{"rid":"b","_id":"a"}],"success":true}` + "\n" + `{"messages":[]`, true},
		{"empty page", `{"messages":[],"success":true}`, true},
		{"success after keys", `{"count":0,"messages":[],"offset":0,"success":true}`, true},
		{"messages without success", `{"messages":[]}`, false},
		{"telegram export", `{"name":"x","type":"personal_chat","id":1,"messages":[{"id":1,"type":"message"}]}`, false},
		{"x api", `{"data":[{"id":"1","text":"x"}]}`, false},
		{"text", "hello", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Decoder{}).Sniff("page.json", []byte(tt.head)); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	sourcetest.RunDecodeCases(t, Decoder{}, "in.json", []sourcetest.DecodeCase{
		{Name: "empty", In: ``, WantFormat: true},
		{Name: "empty object", In: `{}`, WantFormat: true},
		{Name: "number", In: `42`, WantFormat: true},
		{Name: "array of numbers", In: `[1,2]`, WantFormat: true},
		{Name: "telegram export", In: `{"name":"x","type":"personal_chat","id":1,"messages":[{"id":1,"text":"x"}]}`, WantFormat: true},
		{Name: "not JSON", In: `<html>`, WantFormat: true},
		{Name: "empty page", In: `{"messages":[],"success":true}`},
		{Name: "other API's success", In: `{"success":true,"data":[]}`, WantFormat: true},
		{Name: "failed page only", In: `{"success":false,"error":"error-not-allowed"}`, Reason: "error-not-allowed"},
		{Name: "single message response", In: `{"message":{"_id":"a","rid":"r","ts":"2024-01-01T00:00:00Z","u":{"_id":"u"}},"success":true}`, Posts: 1},
		{Name: "truncated", In: `{"messages":[{"_id":"a","rid":"r","ts":"2024-01-01T00:00:00Z","u":{"_id":"u"}},{"_id":"b","rid`, Posts: 1, Reason: "invalid JSON"},
		{Name: "messages not an array", In: `{"success":true,"messages":{}}`, Reason: "not an array"},
		{Name: "number in page array", In: `[{"success":true,"messages":[]},7]`, Reason: "not a response"},
		{Name: "bad $date", In: `{"messages":[{"_id":"a","rid":"r","ts":{"$date":"soon"}}]}`, Reason: `"ts"`},
		{Name: "u not an object", In: `{"messages":[{"_id":"a","rid":"r","u":"x"}]}`, Reason: `"u"`},
		{Name: "message not an object", In: `{"success":true,"messages":["x"]}`, WantFormat: true},
		{Name: "later message not an object", In: `{"messages":[{"_id":"a","rid":"r"},"x"]}`, Posts: 1, Reason: "not an object"},
	})
}

// TestSinkError checks that an error from the sink stops the decoder.
func TestSinkError(t *testing.T) {
	sourcetest.SinkErrorStops(t, Decoder{}, "in.json", `{"messages":[{"_id":"a","rid":"r"},{"_id":"b","rid":"r"}]}`)
}

// syntheticPages writes JSONL of pages of 100 messages, n messages in all.
func syntheticPages(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		if i%100 == 0 {
			b.WriteString(`{"messages":[`)
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"_id":"m%d","rid":"room","msg":"نص تجريبي رقم %d","ts":"2024-05-01T08:05:00.000Z","u":{"_id":"u1","username":"user","name":"مستخدم"},`+
			`"_updatedAt":"2024-05-01T08:05:00.000Z","urls":[{"url":"https://example.invalid/%d"}],"mentions":[],"channels":[]}`, i, i, i)
		if i%100 == 99 || i == n-1 {
			b.WriteString("],\"success\":true}\n")
		}
	}
	return b.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	sourcetest.BenchDecode(b, Decoder{}, "bench.jsonl", syntheticPages(10000), 10000)
}

func FuzzDecode(f *testing.F) {
	sourcetest.AddFixtures(f, "history.json", "pages.json", "pages.jsonl")
	f.Add([]byte(`{"message":{"_id":"a","rid":"r","ts":{"$date":{"$numberLong":"1"}},"files":[{"_id":"f"}],"attachments":[{"title_link":"/file-upload/f/x","image_url":"/x"}]}}`))
	f.Add([]byte(`[{"success":false,"error":"x"},{"messages":[{"_id":"","rid":"r"}]}]`))
	f.Add(syntheticPages(3))
	// A message over the record limit of the second pass, between two.
	f.Add([]byte(`{"messages":[{"_id":"a","rid":"r","msg":"x"},{"_id":"b","rid":"r","msg":"` + strings.Repeat("ب", 40) + `"},{"_id":"c","rid":"r"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, limit := range []int64{0, 64} {
			_ = Decoder{}.Decode(source.Input{Name: "fuzz.json", R: bytes.NewReader(data), MaxRecord: limit}, source.SinkFuncs{OnPost: func(p post.Post) error {
				if p.ID == "" {
					t.Errorf("post without id from %q", data)
				}
				return nil
			}})
		}
		Decoder{}.Sniff("fuzz.json", data)
	})
}
