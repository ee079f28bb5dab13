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

// TestLinesLongerThanBuffer checks lines that span many reads of the
// buffer, kept whole under the limit and cut to their head over it.
func TestLinesLongerThanBuffer(t *testing.T) {
	kept := strings.Repeat("ab", 150<<10)
	cut := strings.Repeat("cd", 300<<10)
	l := NewLines(strings.NewReader(kept+"\n"+cut+"\nz"), 400<<10)
	if !l.Next() || string(l.Bytes()) != kept+"\n" || l.TooLong() {
		t.Fatalf("first line: %d bytes, too long %v", len(l.Bytes()), l.TooLong())
	}
	if !l.Next() || !l.TooLong() || string(l.Head()) != cut[:headSize] || l.Size() != int64(len(cut)+1) {
		t.Fatalf("second line: head %d bytes, size %d, too long %v", len(l.Head()), l.Size(), l.TooLong())
	}
	if !l.Next() || string(l.Bytes()) != "z" || l.Line() != 3 || l.Offset() != int64(len(kept)+len(cut)+2) || l.Next() {
		t.Fatalf("last line %q at %d", l.Bytes(), l.Offset())
	}
}
