// Package adf owns ticket-mate's rich text: Markdown → Atlassian Document
// Format (the JSON Jira Cloud's REST v3 takes for descriptions and comments),
// ADF → plain text for terminals, and Markdown → Jira wiki markup for Data
// Center, whose REST v2 takes wiki strings.
//
// It may import the standard library, goldmark and the root package tm;
// nothing else of ticket-mate. goldmark is vendored in
// internal/third_party/goldmark with its start-up work made lazy (see the
// README there). GitHub's extensions to Markdown are its own (gfm.go), not
// goldmark's extension package, whose start-up cost every command would pay.
package adf

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
)

// Doc is the root of an ADF document. Content is always marshalled as an
// array (never null): Jira rejects a doc without one.
type Doc struct {
	Type    string `json:"type"`
	Version int    `json:"version"`
	Content []Node `json:"content"`
}

// Node is any ADF node below the root. The omitempty tags matter: Jira's
// validator rejects empty text and "content" on leaf nodes such as rule and
// hardBreak, so absent fields must not be sent at all.
type Node struct {
	Type    string         `json:"type"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Content []Node         `json:"content,omitempty"`
	Text    string         `json:"text,omitempty"`
	Marks   []Mark         `json:"marks,omitempty"`
}

// Mark is a formatting mark on a text node (em, strong, strike, code, link, …).
type Mark struct {
	Type  string         `json:"type"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// NewDoc returns an empty version-1 document.
func NewDoc(content ...Node) *Doc {
	if content == nil {
		content = []Node{}
	}
	return &Doc{Type: "doc", Version: 1, Content: content}
}

// MarshalJSON writes the document with "content":[] rather than null when it
// is empty.
func (d *Doc) MarshalJSON() ([]byte, error) {
	type plain Doc
	c := *d
	if c.Content == nil {
		c.Content = []Node{}
	}
	// Without HTML escaping: Jira does not need <, > and & hidden, and a
	// caller's json.Marshal escapes them again anyway.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*plain)(&c)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkUTF8 rejects input that is not UTF-8: Jira would store the bytes as
// replacement characters, which is never what the author meant.
func checkUTF8(what string, src []byte) error {
	if utf8.Valid(src) {
		return nil
	}
	off := 0
	for off < len(src) {
		r, size := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return &tm.Error{
		Code:    tm.EINVALID,
		Message: what + " is not valid UTF-8 (first bad byte at offset " + strconv.Itoa(off) + ")",
		Hint:    "Save the file as UTF-8 (for example: iconv -f latin1 -t utf-8 in.md > out.md) and try again.",
	}
}
