package api

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Bounds on text taken from an answer: an envelope message is meant to be read, a raw
// body snippet only hints at what came back (a proxy's error page, say).
const (
	maxMessage = 500
	maxSnippet = 200
	// maxHint bounds the glimpse of a 2xx page that is not TagMango's (a welcome page).
	maxHint = 80
)

var (
	// Script and style bodies are not text a reader wants from an error page.
	htmlBlock = regexp.MustCompile(`(?is)<(script|style)\b.*?</(?:script|style)\s*>|<!--.*?-->`)
	htmlTag   = regexp.MustCompile(`(?s)<[!/?]?[a-zA-Z][^>]*>`)
)

// sanitize makes server text printable on one line: valid UTF-8, no escape sequences,
// no control or bidi-override characters, whitespace condensed.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(stripControls(s)), " ")
}

// stripControls removes what could act on a terminal but keeps the text otherwise
// exact, for our own requests shown in the log and the dry run.
func stripControls(s string) string { return safetext.Strip(s) }

// snippet is the readable text of a body that is not TagMango's envelope: an HTML
// page is reduced to its text so the user sees "502 Bad Gateway nginx", not markup.
func snippet(body []byte) string {
	// Only the start can end up in the snippet; a page's text is seldom sparser than this.
	s := string(bytes.TrimSpace(body[:min(len(body), 64<<10)]))
	if looksLikeHTML(s) {
		s = htmlBlock.ReplaceAllString(s, " ")
		s = htmlTag.ReplaceAllString(s, " ")
		s = html.UnescapeString(s)
	}
	return s
}

func looksLikeHTML(s string) bool {
	head := strings.ToLower(s[:min(len(s), 512)])
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html") ||
		strings.Contains(head, "<body") || strings.Contains(head, "<head") ||
		strings.Contains(head, "<title")
}

// truncate cuts s to at most limit runes, marking the cut with "…".
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:limit-1])) + "…"
}
