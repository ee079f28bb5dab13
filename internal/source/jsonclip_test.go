package source

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func clip(t testing.TB, in string, limit int64, isRecord func([]JSONFrame) bool) (string, *JSONClip) {
	t.Helper()
	c := NewJSONClip(strings.NewReader(in), limit, isRecord)
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), c
}

func TestJSONClip(t *testing.T) {
	topLevel := func(p []JSONFrame) bool { return len(p) == 0 }
	big := strings.Repeat("ب", 30)
	tests := []struct {
		name, in string
		rule     func([]JSONFrame) bool
		want     string
	}{
		{"small records pass", `{"messages":[{"t":"a"},{"t":"b"}]}`, ElementsOf("messages"), `{"messages":[{"t":"a"},{"t":"b"}]}`},
		{"large record clipped", `{"messages":[{"t":"a"},{"t":"` + big + `"},{"t":"b"}]}`, ElementsOf("messages"),
			`{"messages":[{"t":"a"},{"raqib:record-too-large":{"size":68,"offset":23}},{"t":"b"}]}`},
		{"other arrays untouched", `{"list":["` + big + `"],"messages":[1]}`, ElementsOf("messages"), `{"list":["` + big + `"],"messages":[1]}`},
		{"escaped quote in a record", `{"messages":["a\"` + big + `", 2]}`, ElementsOf("messages"),
			`{"messages":[{"raqib:record-too-large":{"size":65,"offset":13}}, 2]}`},
		{"key holding a quote", `{"a\"b":1,"messages":["` + big + `"]}`, ElementsOf("messages"),
			`{"a\"b":1,"messages":[{"raqib:record-too-large":{"size":62,"offset":22}}]}`},
		{"top-level values", `{"a":1}` + "\n" + `"` + big + `"` + "\n7\n", topLevel,
			`{"a":1}` + "\n" + `{"raqib:record-too-large":{"size":62,"offset":8}}` + "\n7\n"},
		{"scalar record at the end", `[1,2,123456789012345678901234567890123456789012345678901234567890123]`, ElementsOf(""),
			`[1,2,123456789012345678901234567890123456789012345678901234567890123]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := clip(t, tt.in, 40, tt.rule)
			if got != tt.want {
				t.Errorf("clipped\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestJSONClipOffsets checks that offsets after a clipped record map back to
// the input's and that Clipped reads the stand-in.
func TestJSONClipOffsets(t *testing.T) {
	in := `{"messages":[{"t":"` + strings.Repeat("x", 100) + `"},{"t":"after"}]}`
	c := NewJSONClip(strings.NewReader(in), 50, ElementsOf("messages"))
	dec := json.NewDecoder(c)
	for range 3 {
		dec.Token() // { "messages" [
	}
	var raw json.RawMessage
	dec.Decode(&raw)
	size, off, ok := Clipped(raw)
	if !ok || size != 108 || off != 13 || in[off] != '{' {
		t.Fatalf("Clipped(%s) = %d %d %v", raw, size, off, ok)
	}
	dec.Decode(&raw)
	start := c.Orig(dec.InputOffset() - int64(len(raw)))
	if string(raw) != `{"t":"after"}` || in[start:start+int64(len(raw))] != string(raw) {
		t.Errorf("record %s at mapped offset %d", raw, start)
	}
}

// FuzzJSONClip checks that a clip with a limit larger than the input
// changes nothing, and that a clip of valid JSON stays valid JSON.
func FuzzJSONClip(f *testing.F) {
	f.Add([]byte(`{"messages":[{"t":"a"},{"t":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]}`), uint8(20))
	f.Add([]byte(`{"chats":{"list":[{"id":1,"messages":[1,"x\"y",{"a":[]}]}]}}`), uint8(3))
	f.Add([]byte(`[{"tweet":{"id_str":"1","full_text":"a"}}, 12345678, true, null]`), uint8(5))
	f.Add([]byte(`{"a":1} {"b":"\\"} [1,2]`), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		for _, rule := range []func([]JSONFrame) bool{ElementsOf("messages"), func(p []JSONFrame) bool { return len(p) <= 1 }} {
			same, _ := clip(t, string(data), int64(len(data))+1, rule)
			if same != string(data) {
				t.Fatalf("clip with a large limit changed %q into %q", data, same)
			}
			got, _ := clip(t, string(data), int64(limit), rule)
			if json.Valid(data) && !jsonValues(got) {
				t.Fatalf("clip of valid %q is invalid: %q", data, got)
			}
		}
	})
}

// jsonValues reports whether s is a sequence of valid JSON values.
func jsonValues(s string) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return true
		} else if err != nil {
			return false
		}
	}
}
