// Package telegram imports Telegram Desktop "Export chat history" JSON: the
// result.json of one chat (personal chats, groups, supergroups, channels)
// and the full-account export that holds many chats. It streams: a channel
// export of millions of messages is read one message at a time.
//
// A post's Channel is the chat (its numeric id, name and export type); its
// Author is from_id/from, or actor_id/actor for service messages, or the
// channel itself for channel posts that name no sender. Service messages
// keep their action as Text ("joined_telegram", "invite_members: ...").
// Media paths stay relative to the export folder; when the folder can be
// opened the files are hashed, and exports that left a file out give a
// Media with Omitted set. The export holds no channel username, so URL
// stays empty, and no language, so Lang does too.
package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"

	"github.com/raqib-project/raqib/internal/source"
)

// Name is the format name, used by --format and in post.Origin.Format.
const Name = "telegram"

// chatTypes are the values Telegram Desktop writes in a chat's "type".
var chatTypes = []string{
	"personal_chat", "private_group", "private_supergroup", "public_supergroup",
	"public_group", "public_channel", "private_channel", "bot_chat", "saved_messages",
}

// Decoder reads Telegram Desktop JSON exports. The zero value is ready to use.
type Decoder struct{}

var _ source.Decoder = Decoder{}

// Name implements source.Decoder.
func (Decoder) Name() string { return Name }

// Sniff implements source.Decoder: a single-chat export names a known chat
// type at the top level; a full-account export carries
// "personal_information" or the "about"/"chats" pair.
func (Decoder) Sniff(_ string, head []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	var about bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch key, _ := tok.(string); key {
		case "type":
			var typ string
			if dec.Decode(&typ) != nil {
				return false
			}
			return slices.Contains(chatTypes, typ)
		case "personal_information":
			return true
		case "chats":
			return about
		}
		about = about || tok == "about"
		if skipValue(dec) != nil {
			return false
		}
	}
	return false
}

// chat is what precedes "messages" in a chat object.
type chat struct {
	name string
	typ  string
	id   string
}

// decoding is the state of one Decode call.
type decoding struct{ source.JSONStream }

// Decode implements source.Decoder.
func (Decoder) Decode(in source.Input, sink source.Sink) error {
	d := &decoding{JSONStream: source.NewJSONStream(in, sink, source.ElementsOf("messages"))}
	tok, err := d.Dec.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%s: not a JSON object: %w", in.Name, source.ErrFormat)
	}
	return d.End(d.object(d.topKey(d.chatKeyOf(&chat{}))), `no "messages" or "chats"`)
}

// object walks the members of an object whose '{' was read, calling fn for
// each key; fn must consume the value.
func (d *decoding) object(fn func(key string) error) error {
	for d.Dec.More() {
		tok, err := d.Dec.Token()
		if err != nil {
			return d.Fail(err)
		}
		key, _ := tok.(string)
		if err := fn(key); err != nil {
			return err
		}
	}
	if _, err := d.Dec.Token(); err != nil {
		return d.Fail(err)
	}
	return nil
}

// topKey handles the members of the top-level object, which is either one
// chat (handled by chatKey) or a full-account export.
func (d *decoding) topKey(chatKey func(string) error) func(string) error {
	return func(key string) error {
		if key != "chats" && key != "left_chats" {
			return chatKey(key)
		}
		if err := d.expect('{'); err != nil {
			return err
		}
		return d.object(d.chatListKey)
	}
}

// chatKeyOf handles the members of a chat object, filling c from the header
// so that the messages after it know their chat.
func (d *decoding) chatKeyOf(c *chat) func(string) error {
	return func(key string) error {
		switch key {
		case "name", "type", "id":
			var v flexString
			if err := d.Dec.Decode(&v); err != nil {
				return d.Fail(fmt.Errorf("chat %q: %w", key, err))
			}
			switch key {
			case "name":
				c.name = string(v)
			case "type":
				c.typ = string(v)
			case "id":
				c.id = string(v)
			}
			return nil
		case "messages":
			switch {
			case c.id != "":
				d.Recognized = true
				return d.messages(*c)
			case !d.Recognized:
				return fmt.Errorf("%s: \"messages\" without a chat \"id\" before it: %w", d.In.Name, source.ErrFormat)
			}
			// A chat of an account export without an id: its posts could
			// not be told from another chat's, so they are skipped.
			if err := d.Reject(d.Offset(), `chat without "id" before its "messages"; its messages are skipped`); err != nil {
				return err
			}
		}
		return d.skip()
	}
}

// chatListKey handles the members of "chats" and "left_chats": an "about"
// text and the "list" of chats.
func (d *decoding) chatListKey(key string) error {
	if key != "list" {
		return d.skip()
	}
	d.Recognized = true
	if err := d.expect('['); err != nil {
		return err
	}
	for d.Dec.More() {
		tok, err := d.Dec.Token()
		if err != nil {
			return d.Fail(err)
		}
		if tok != json.Delim('{') {
			return d.Fail(fmt.Errorf("chat list entry is %v, not an object", tok))
		}
		if err := d.object(d.chatKeyOf(&chat{})); err != nil {
			return err
		}
	}
	_, err := d.Dec.Token()
	if err != nil {
		return d.Fail(err)
	}
	return nil
}

// expect reads one delimiter.
func (d *decoding) expect(delim json.Delim) error {
	tok, err := d.Dec.Token()
	if err != nil {
		return d.Fail(err)
	}
	if tok != delim {
		return d.Fail(fmt.Errorf("got %v, want %v", tok, delim))
	}
	return nil
}

// skip consumes one value the importer does not use.
func (d *decoding) skip() error {
	if err := skipValue(d.Dec); err != nil {
		return d.Fail(err)
	}
	return nil
}

// skipValue consumes one value token by token, so that skipping a large
// member (an account's contact list) takes constant memory.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// messages streams the "messages" array of chat c.
func (d *decoding) messages(c chat) error {
	if err := d.expect('['); err != nil {
		return err
	}
	for d.Dec.More() {
		var raw json.RawMessage
		if err := d.Dec.Decode(&raw); err != nil {
			return d.Fail(err)
		}
		if big, err := d.TooLarge(raw, "message"); big || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		off := d.Start(raw)
		p, reason := d.message(c, raw, off)
		var err error
		if reason != "" {
			err = d.Reject(off, reason)
		} else {
			err = d.Sink.Post(p)
		}
		if err != nil {
			return err
		}
	}
	_, err := d.Dec.Token()
	if err != nil {
		return d.Fail(err)
	}
	return nil
}

// stringType is what flexString and text report in type errors.
var stringType = reflect.TypeFor[string]()

// flexString is a JSON string or number kept as text: Telegram wrote ids and
// unix times as numbers in older exports and as strings in newer ones.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return &json.UnmarshalTypeError{Value: "number " + n.String(), Type: stringType}
		}
		*s = flexString(n)
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
