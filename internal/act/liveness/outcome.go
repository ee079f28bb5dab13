package liveness

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Outcome is what one check found.
type Outcome uint8

// Outcomes of a check. Only GoneOutcome and Withheld are evidence of
// removal: a login wall or a failed fetch says nothing about the content.
const (
	Unknown     Outcome = iota
	Up                  // the content is there
	GoneOutcome         // removed: 404/410, a platform's "not found" or "suspended" page
	Withheld            // access disabled: 451 or a platform's "withheld" page
	LoginWall           // redirected to a login page: inconclusive
	Transient           // 5xx, 429, timeout, network error: inconclusive
)

var outcomeNames = [...]string{"unknown", "online", "gone", "withheld", "login", "error"}

// Outcomes lists every outcome a check can have, for metrics.
var Outcomes = []Outcome{Up, GoneOutcome, Withheld, LoginWall, Transient}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("outcome %q: unknown", b)
}

// Removal reports whether the outcome is evidence that the content was
// removed or its access disabled.
func (o Outcome) Removal() bool { return o == GoneOutcome || o == Withheld }

// HistoryLen is how many checks an item's history keeps; the times that
// matter (first gone, confirmed, returned) are kept beside it for ever.
const HistoryLen = 32

// EncodeHistory packs checks as the stores keep them: per check the Unix
// second as a varint, the outcome byte and the status as a varint — about
// 8 bytes a check.
func EncodeHistory(cs []Check) []byte {
	b := make([]byte, 0, len(cs)*8)
	for _, c := range cs {
		b = binary.AppendUvarint(b, uint64(max(c.At.Unix(), 0)))
		b = append(b, byte(c.Outcome))
		b = binary.AppendUvarint(b, uint64(max(c.Status, 0)))
	}
	return b
}

// DecodeHistory reverses EncodeHistory.
func DecodeHistory(b []byte) ([]Check, error) {
	var cs []Check
	for len(b) > 0 {
		at, n := binary.Uvarint(b)
		if n <= 0 || n >= len(b) {
			return nil, fmt.Errorf("decode check history: bad time at check %d", len(cs))
		}
		o := Outcome(b[n])
		b = b[n+1:]
		st, m := binary.Uvarint(b)
		if m <= 0 {
			return nil, fmt.Errorf("decode check history: bad status at check %d", len(cs))
		}
		b = b[m:]
		cs = append(cs, Check{At: time.Unix(int64(at), 0).UTC(), Outcome: o, Status: int(st)})
	}
	return cs, nil
}
