package source

import (
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 3000) + "\nlast"
	l := NewLines(strings.NewReader(in), 100)
	type line struct {
		text    string
		long    bool
		n       int
		off     int64
		size    int64
		headLen int
	}
	var got []line
	for l.Next() {
		got = append(got, line{string(l.Bytes()), l.TooLong(), l.Line(), l.Offset(), l.Size(), len(l.Head())})
	}
	want := []line{
		{"short\n", false, 1, 0, 6, 6},
		{"", true, 2, 6, 3001, headSize},
		{"last", false, 3, 3007, 4, 4},
	}
	if l.Err() != nil || len(got) != len(want) {
		t.Fatalf("lines %+v, err %v", got, l.Err())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
}
