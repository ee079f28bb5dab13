// Package rocketchat imports Rocket.Chat REST API responses that list
// messages (channels.history, groups.history, im.history,
// channels.messages, chat.getMessage), as collectors save them: one
// response, a JSON array of responses, or one response per line (JSONL).
// It streams: messages are decoded one at a time.
//
// A post's Channel.ID is the room id (rid) and its Author the message's
// user (u). System messages (t set: uj, ru, rm, ...) become service posts
// whose Text starts with the type; "rm" also marks the post Deleted. A
// thread reply's tmid is ReplyTo, a quote's message_link gives QuoteOf.
// Responses carry neither the server's address nor room names, so URL and
// Channel.Name stay empty; upload links are kept server-relative.
package rocketchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/raqib-project/raqib/internal/source"
)

// Name is the format name, used by --format and in post.Origin.Format.
const Name = "rocketchat"

// Decoder reads Rocket.Chat message-list responses. The zero value is ready
// to use.
type Decoder struct{}

var _ source.Decoder = Decoder{}

// Name implements source.Decoder.
func (Decoder) Name() string { return Name }

// Sniff implements source.Decoder: the first response (of a file, an array
// or JSONL) has "messages" whose first element carries Rocket.Chat's "_id"
// and "rid", or an empty "messages" next to "success".
func (Decoder) Sniff(_ string, head []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(head))
	tok, err := dec.Token()
	if err == nil && tok == json.Delim('[') {
		tok, err = dec.Token()
	}
	if err != nil || tok != json.Delim('{') {
		return false
	}
	var success, empty bool
	for dec.More() && !(success && empty) {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key != "messages" {
			success = success || key == "success"
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return false
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return false
		}
		if dec.More() {
			tok, err := dec.Token()
			return err == nil && tok == json.Delim('{') && firstKeysAreMessage(dec)
		}
		if _, err := dec.Token(); err != nil {
			return false
		}
		empty = true
	}
	return success && empty
}

// firstKeysAreMessage reads the keys of an object whose '{' was read and
// reports whether both "_id" and "rid" occur before the head runs out.
func firstKeysAreMessage(dec *json.Decoder) bool {
	var id, rid bool
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			break
		}
		id = id || key == "_id"
		rid = rid || key == "rid"
		if id && rid {
			return true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break
		}
	}
	return false
}

// isMessage says where messages are in a response: the elements of its
// "messages" array, or its "message" (chat.getMessage).
func isMessage(path []source.JSONFrame) bool {
	n := len(path)
	return messagesElement(path) || (n > 0 && !path[n-1].Array && path[n-1].Key == "message")
}

var messagesElement = source.ElementsOf("messages")

// decoding is the state of one Decode call.
type decoding struct {
	source.JSONStream
	// seenMessage is set after the first message record, which decides
	// whether the file is Rocket.Chat at all.
	seenMessage bool
}

// Decode implements source.Decoder.
func (Decoder) Decode(in source.Input, sink source.Sink) error {
	d := &decoding{JSONStream: source.NewJSONStream(in, sink, isMessage)}
	return d.End(d.values(), `no Rocket.Chat response with "messages"`)
}

// values reads the top-level values: responses, or arrays of responses.
func (d *decoding) values() error {
	for {
		tok, err := d.Dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return d.Fail(err)
		}
		switch tok {
		case json.Delim('{'):
			err = d.response()
		case json.Delim('['):
			err = d.array()
		default:
			return d.Fail(fmt.Errorf("top-level %v is not an object or array", tok))
		}
		if err != nil {
			return err
		}
	}
}

// array reads an array of responses whose '[' was read.
func (d *decoding) array() error {
	for d.Dec.More() {
		tok, err := d.Dec.Token()
		if err != nil {
			return d.Fail(err)
		}
		switch tok {
		case json.Delim('{'):
			err = d.response()
		case json.Delim('['):
			return d.Fail(errors.New("array inside the array of responses"))
		default:
			if !d.Recognized {
				return fmt.Errorf("%s: array element %v is not a response object: %w", d.In.Name, tok, source.ErrFormat)
			}
			err = d.Reject(d.Offset(), fmt.Sprintf("array element %v is not a response object", tok))
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

// response walks one response object whose '{' was just read.
func (d *decoding) response() error {
	start := d.Offset() - 1
	var failed bool
	var apiErr string
	for d.Dec.More() {
		tok, err := d.Dec.Token()
		if err != nil {
			return d.Fail(err)
		}
		switch key, _ := tok.(string); key {
		case "messages":
			d.Recognized = true
			if err := d.messageList(); err != nil {
				return err
			}
		case "message":
			d.Recognized = true
			if err := d.next(); err != nil {
				return err
			}
		case "success":
			var ok bool
			if err := d.Dec.Decode(&ok); err != nil {
				return d.Fail(fmt.Errorf("field \"success\": %w", err))
			}
			failed = !ok
		case "error":
			if err := d.Dec.Decode(&apiErr); err != nil {
				return d.Fail(fmt.Errorf("field \"error\": %w", err))
			}
		default:
			var skip json.RawMessage
			if err := d.Dec.Decode(&skip); err != nil {
				return d.Fail(err)
			}
		}
	}
	if _, err := d.Dec.Token(); err != nil {
		return d.Fail(err)
	}
	if failed {
		// A failed page is a Rocket.Chat response too: a collector saved
		// an error instead of messages, which the analyst should see.
		d.Recognized = true
		return d.Reject(start, "response reports failure: "+apiErr)
	}
	return nil
}

// messageList streams the "messages" array.
func (d *decoding) messageList() error {
	tok, err := d.Dec.Token()
	if err != nil {
		return d.Fail(err)
	}
	if tok != json.Delim('[') {
		return d.Fail(fmt.Errorf("field \"messages\" is %v, not an array", tok))
	}
	for d.Dec.More() {
		if err := d.next(); err != nil {
			return err
		}
	}
	if _, err := d.Dec.Token(); err != nil {
		return d.Fail(err)
	}
	return nil
}

// next decodes one message value and hands it to the sink.
func (d *decoding) next() error {
	var raw json.RawMessage
	if err := d.Dec.Decode(&raw); err != nil {
		return d.Fail(err)
	}
	if big, err := d.TooLarge(raw, "message"); big || err != nil {
		return err
	}
	off := d.Start(raw)
	if !d.seenMessage && !looksLikeMessage(raw) {
		return fmt.Errorf("%s: first message has neither \"_id\" nor \"rid\": %w", d.In.Name, source.ErrFormat)
	}
	d.seenMessage = true
	p, reason := d.message(raw, off)
	if reason != "" {
		return d.Reject(off, reason)
	}
	return d.Sink.Post(p)
}

// looksLikeMessage reports whether raw is an object with Rocket.Chat's
// "_id" or "rid": it tells a Rocket.Chat file from another JSON file with
// "messages" (a Telegram export) before anything is reported.
func looksLikeMessage(raw json.RawMessage) bool {
	var m struct {
		ID  json.RawMessage `json:"_id"`
		RID json.RawMessage `json:"rid"`
	}
	return json.Unmarshal(raw, &m) == nil && (m.ID != nil || m.RID != nil)
}
