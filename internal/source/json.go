package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// JSONReason words an error of json.Unmarshal as a rejection reason. A type
// error names the field and both types (`field "id": got string, want
// int64`) so that an analyst can find the bad value in the record; other
// errors lose the "json: " prefix, which tells them nothing.
func JSONReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q: got %s, want %s", te.Field, te.Value, te.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// JSONStream is the state of one Decode that walks a JSON input token by
// token, so that a file of millions of messages takes constant memory.
// It holds the rule such decoders share for broken JSON: before the input
// is recognized as the decoder's format a syntax error means the file is
// not in it (ErrFormat); after, the rest of the file is lost, as JSON has
// no point to resume at, and is rejected once.
type JSONStream struct {
	In   Input
	Sink Sink
	// Dec reads the input through Clip, so its offsets are mapped by
	// Offset and Start.
	Dec  *json.Decoder
	Clip *JSONClip
	// Recognized is set by the decoder once the input is known to be in
	// its format.
	Recognized bool
}

// NewJSONStream starts a walk over in that reports to sink; isRecord says
// where the format's records are (see JSONClip).
func NewJSONStream(in Input, sink Sink, isRecord func([]JSONFrame) bool) JSONStream {
	clip := NewJSONClip(in.R, in.RecordLimit(), isRecord)
	return JSONStream{In: in, Sink: sink, Dec: json.NewDecoder(clip), Clip: clip}
}

// Offset is the input offset the decoder has reached.
func (s *JSONStream) Offset() int64 { return s.Clip.Orig(s.Dec.InputOffset()) }

// Start is the input offset of raw, the value the decoder just read.
func (s *JSONStream) Start(raw []byte) int64 {
	return s.Clip.Orig(s.Dec.InputOffset() - int64(len(raw)))
}

// TooLarge reports whether raw stands for a record over the limit (see
// JSONClip) and if so rejects it, naming it what.
func (s *JSONStream) TooLarge(raw []byte, what string) (bool, error) {
	size, off, ok := Clipped(raw)
	if !ok {
		return false, nil
	}
	return true, s.Reject(off, TooLarge(what, size, s.In.RecordLimit()))
}

// errRestSkipped ends a walk after Fail rejected the rest of the input.
var errRestSkipped = errors.New("rest of input skipped")

// Reject reports the record at byte offset off as skipped for reason.
func (s *JSONStream) Reject(off int64, reason string) error {
	return s.Sink.Reject(Rejection{File: s.In.Name, Offset: off, Reason: reason})
}

// Fail turns a JSON error into the outcome of the walk: an error wrapping
// ErrFormat before the input was recognized, otherwise one rejection of
// the unreadable rest at the decoder's offset and an error that the walk
// must return as it is, for End to turn into success.
func (s *JSONStream) Fail(err error) error {
	if !s.Recognized {
		return fmt.Errorf("%s: %w: %w", s.In.Name, ErrFormat, err)
	}
	if rerr := s.Reject(s.Offset(), "invalid JSON, rest of file skipped: "+err.Error()); rerr != nil {
		return rerr
	}
	return errRestSkipped
}

// End gives Decode's result after a walk that returned err: nil when Fail
// rejected the rest, err when there is one, and an error wrapping
// ErrFormat that says what was missing when the walk ended without
// recognizing the input.
func (s *JSONStream) End(err error, missing string) error {
	switch {
	case errors.Is(err, errRestSkipped):
		return nil
	case err != nil:
		return err
	case !s.Recognized:
		return fmt.Errorf("%s: %s: %w", s.In.Name, missing, ErrFormat)
	}
	return nil
}
