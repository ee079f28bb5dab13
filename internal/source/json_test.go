package source

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestJSONReason(t *testing.T) {
	type user struct {
		ID string `json:"id"`
	}
	var target struct {
		ID   int64 `json:"id"`
		User user  `json:"u"`
	}
	tests := []struct {
		name string
		in   string
		into any
		want string
	}{
		{"type error names the field", `{"id":"7"}`, &target, `field "id": got string, want int64`},
		{"nested field is dotted", `{"u":{"id":7}}`, &target, `field "u.id": got number, want string`},
		{"type error without a field", `"x"`, new([]int), "cannot unmarshal string into Go value of type []int"},
		{"syntax error loses the prefix", `{"id":`, &target, "unexpected end of JSON input"},
		{"bad character", `{"id":x}`, &target, "invalid character 'x' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(tt.in), tt.into)
			if err == nil {
				t.Fatal("no error")
			}
			if got := JSONReason(err); got != tt.want {
				t.Errorf("JSONReason(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
	t.Run("not from encoding/json", func(t *testing.T) {
		if got := JSONReason(errors.New("json: custom")); got != "custom" {
			t.Errorf("got %q", got)
		}
	})
}

// walk reads a top-level array of numbers, recognizing the input at the
// first element, as importers recognize theirs at the first record.
func walk(s *JSONStream) error {
	tok, err := s.Dec.Token()
	if err != nil || tok != json.Delim('[') {
		return s.Fail(errors.New("not an array"))
	}
	for s.Dec.More() {
		var n int
		if err := s.Dec.Decode(&n); err != nil {
			return s.Fail(err)
		}
		s.Recognized = true
	}
	return nil
}

func TestJSONStream(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantFormat bool
		rejections []Rejection
	}{
		{"whole", `[1,2]`, false, nil},
		{"broken before recognized", `["a"]`, true, nil},
		{"empty array is not recognized", `[]`, true, nil},
		{"not JSON", `<x>`, true, nil},
		{"bad value after recognized", `[1,"a",3]`, false, []Rejection{
			{File: "in.json", Offset: 6, Reason: "invalid JSON, rest of file skipped: json: cannot unmarshal string into Go value of type int"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []Rejection
			s := NewJSONStream(Input{Name: "in.json", R: strings.NewReader(tt.in)},
				SinkFuncs{OnReject: func(r Rejection) error { rs = append(rs, r); return nil }}, ElementsOf("x"))
			err := s.End(walk(&s), "no numbers")
			if errors.Is(err, ErrFormat) != tt.wantFormat || !tt.wantFormat && err != nil {
				t.Fatalf("err = %v, want ErrFormat %v", err, tt.wantFormat)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "in.json: ") {
				t.Errorf("err %q does not name the file", err)
			}
			if len(rs) != len(tt.rejections) || len(rs) > 0 && rs[0] != tt.rejections[0] {
				t.Errorf("rejections %+v, want %+v", rs, tt.rejections)
			}
		})
	}
	t.Run("sink error", func(t *testing.T) {
		full := errors.New("full")
		s := NewJSONStream(Input{Name: "in.json", R: strings.NewReader(`[1,"a"]`)},
			SinkFuncs{OnReject: func(Rejection) error { return full }}, ElementsOf("x"))
		if err := s.End(walk(&s), "no numbers"); !errors.Is(err, full) {
			t.Errorf("err = %v, want the sink's", err)
		}
	})
}
