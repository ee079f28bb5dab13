package feed

import (
	"html"
	"strings"
)

// blocks are the HTML elements that start a new line of text.
var blocks = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "tr": true, "table": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true,
	"pre": true, "hr": true, "section": true, "article": true, "figure": true, "figcaption": true, "dd": true, "dt": true,
}

// stripHTML turns an HTML fragment into plain text, one line per paragraph
// or other block, and returns the href of every link in it. It is a
// tolerant scanner, not a parser: feed HTML is often broken.
func stripHTML(s string) (string, []string) {
	var text strings.Builder
	var links []string
	skip := "" // inside <script> or <style>, until its end tag
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			i = len(s)
		}
		if skip == "" {
			text.WriteString(s[:i])
		}
		s = s[i:]
		if s == "" {
			break
		}
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			// A lone '<' is text ("x < y"), not a tag.
			if skip == "" {
				text.WriteString(s)
			}
			break
		}
		tag := s[1:end]
		s = s[end+1:]
		name, closing := tagName(tag)
		switch {
		case skip != "":
			if closing && name == skip {
				skip = ""
			}
		case name == "script" || name == "style":
			if !closing {
				skip = name
			}
		case blocks[name]:
			text.WriteByte('\n')
		case name == "a" && !closing:
			if href := attr(tag, "href"); href != "" {
				links = append(links, href)
			}
		}
	}
	return tidy(html.UnescapeString(text.String())), links
}

func tagName(tag string) (string, bool) {
	closing := strings.HasPrefix(tag, "/")
	tag = strings.TrimPrefix(tag, "/")
	n := strings.IndexAny(tag, " \t\r\n/")
	if n < 0 {
		n = len(tag)
	}
	return strings.ToLower(tag[:n]), closing
}

// attr returns the value of attribute name in the inside of a tag.
func attr(tag, name string) string {
	lower := strings.ToLower(tag)
	for from := 0; ; {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !strings.ContainsRune(" \t\r\n", rune(lower[i-1])) {
			continue
		}
		rest := strings.TrimLeft(tag[from:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			v, _, _ := strings.Cut(rest[1:], string(q))
			return html.UnescapeString(v)
		}
		v, _, _ := strings.Cut(rest, " ")
		return html.UnescapeString(v)
	}
}

// tidy collapses runs of spaces inside lines and drops empty lines.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
