package whatsapp

import (
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

var (
	// Android: "IMG-20200101-WA0001.jpg (file attached)", localised.
	androidAttached = regexp.MustCompile(`^(.+?) \((?:file attached|ملف مرفق|الملف مرفق|Datei angehängt|archivo adjunto|fichier joint|arquivo anexado|file allegato)\)$`)
	// iOS: "<attached: 00000012-PHOTO-2020-01-01-12-00-00.jpg>", maybe
	// behind "Report.pdf • 3 pages ".
	iosAttached = regexp.MustCompile(`<(?:attached|مرفق|مُرفق|Anhang|adjunto): ([^<>]+)>`)
)

// attachment returns the file a text line attaches, if it is an attachment
// line. Only bare file names are accepted: the name comes from the chat
// text, and a path in it must not reach outside the export.
func attachment(line string) (string, bool) {
	if !strings.HasSuffix(line, ")") && !strings.Contains(line, "<") {
		return "", false
	}
	line = strings.TrimSpace(stripMarks(line))
	var name string
	if m := iosAttached.FindStringSubmatch(line); m != nil {
		name = m[1]
	} else if m := androidAttached.FindStringSubmatch(line); m != nil {
		name, _, _ = strings.Cut(m[1], " • ")
	} else {
		return "", false
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", false
	}
	return name, true
}

// mediaKind guesses the kind from WhatsApp's file naming (IMG-, VID-, PTT-,
// STK-; iOS -PHOTO-, -VIDEO-, ...) and then from the extension.
func mediaKind(name string) string {
	up := strings.ToUpper(name)
	for _, k := range []struct{ marks, kind string }{
		{"IMG-|-PHOTO-", "photo"}, {"VID-|-VIDEO-", "video"}, {"AUD-|PTT-|-AUDIO-", "audio"},
		{"STK-|-STICKER-", "sticker"}, {"-GIF-", "animation"}, {"DOC-", "file"},
	} {
		for m := range strings.SplitSeq(k.marks, "|") {
			if strings.HasPrefix(up, m) || (m[0] == '-' && strings.Contains(up, m)) {
				return k.kind
			}
		}
	}
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".jpg", ".jpeg", ".png", ".heic":
		return "photo"
	case ".mp4", ".3gp", ".mov", ".mkv":
		return "video"
	case ".opus", ".ogg", ".m4a", ".mp3", ".aac", ".amr", ".wav":
		return "audio"
	case ".webp":
		return "sticker"
	case ".gif":
		return "animation"
	}
	return "file"
}

// mimeTypes lists the types of the files WhatsApp exports; a fixed table
// keeps the result independent of the host's MIME database.
var mimeTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".heic": "image/heic",
	".webp": "image/webp", ".gif": "image/gif",
	".mp4": "video/mp4", ".3gp": "video/3gpp", ".mov": "video/quicktime", ".mkv": "video/x-matroska",
	".opus": "audio/ogg", ".ogg": "audio/ogg", ".m4a": "audio/mp4", ".mp3": "audio/mpeg",
	".aac": "audio/aac", ".amr": "audio/amr", ".wav": "audio/wav",
	".pdf": "application/pdf", ".vcf": "text/vcard", ".txt": "text/plain",
}

// opener opens a file of the export by its bare name; nil when the input
// has no surroundings.
type opener func(name string) (io.ReadCloser, error)

// describe builds the Media of an attached file, with size and hashes when
// the file can be read. A missing file is normal (exports without media);
// an unreadable one (a damaged zip member) leaves the name too, for the
// enrich stage to retry, rather than losing the message.
func describe(name string, open opener) post.Media {
	m := post.Media{
		Kind: mediaKind(name),
		Path: name,
		MIME: mimeTypes[strings.ToLower(path.Ext(name))],
	}
	if open == nil {
		return m
	}
	rc, err := open(name)
	if err != nil {
		return m
	}
	defer rc.Close()
	return source.HashMedia(m, rc)
}

var (
	linkRe    = regexp.MustCompile(`(?i)(?:https?://|www\.)[^\s<>"\x{200e}\x{200f}\x{2068}\x{2069}]+`)
	mentionRe = regexp.MustCompile(`@(?:(\+?[0-9\x{0660}-\x{0669}\x{06f0}-\x{06f9}]{5,16})|\x{2068}([^\x{2069}\n]+)\x{2069})`)
	hashtagRe = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_&/#])#([\p{L}\p{M}\p{N}_]+)`)
)

// extract fills outlinks, mentions (@number, or @name between the isolate
// marks newer exports put around it) and hashtags (without '#').
func extract(p *post.Post) {
	// The checks before each pattern skip the regexp for the many messages
	// that cannot match it.
	if strings.Contains(p.Text, "://") || strings.Contains(p.Text, "www.") || strings.Contains(p.Text, "WWW.") {
		p.Outlinks = links(p.Text)
	}
	if strings.Contains(p.Text, "@") {
		for _, m := range mentionRe.FindAllStringSubmatch(p.Text, -1) {
			p.Mentions = appendNew(p.Mentions, m[1]+m[2])
		}
	}
	if strings.Contains(p.Text, "#") {
		for _, m := range hashtagRe.FindAllStringSubmatch(p.Text, -1) {
			p.Hashtags = appendNew(p.Hashtags, m[1])
		}
	}
}

func links(text string) []string {
	var out []string
	for _, l := range linkRe.FindAllString(text, -1) {
		l = strings.TrimRight(l, ".,;:!?)]}»،؛'\"")
		if strings.HasPrefix(strings.ToLower(l), "www.") {
			l = "http://" + l
		}
		out = appendNew(out, l)
	}
	return out
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
