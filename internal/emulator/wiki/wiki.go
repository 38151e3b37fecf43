// Package wiki owns the emulator's conversion between Atlassian Document
// Format (ADF, REST v3) and Jira wiki markup (REST v2 on Cloud, and all of Data
// Center): descriptions and comment bodies go through it.
//
// It imports only the standard library and nothing of ticket-mate, so the
// emulator's idea of the formats stays independent of the client's.
//
// Supported both ways: paragraphs, hard breaks, headings (h1.–h6.), the marks
// strong *x*, em _x_, strike -x-, underline +x+, code {{x}}, sub ~x~, sup ^x^,
// link [text|url], textColor {color:#hex}x{color}; bullet and ordered lists
// with nesting (*, **, #, #*), {code:lang} blocks, {quote} and bq., ----,
// tables (||h|| and |c|), panels ({panel:bgColor=…}), mentions
// [~accountid:…], emoji :name:, smart links [url|url|smart-link] and
// [url|url|smart-card], and images !name! as mediaSingle. Marks inside a word
// use Jira's brace form, e.g. foo{*}bar{*}. Anything else in ADF degrades to
// its text.
package wiki

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// node is one ADF node. Attrs stays generic: ADF has many node types and the
// conversion reads a handful of attributes.
type node struct {
	Type    string         `json:"type"`
	Version int            `json:"version,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Content []*node        `json:"content,omitempty"`
	Text    string         `json:"text,omitempty"`
	Marks   []mark         `json:"marks,omitempty"`
}

type mark struct {
	Type  string         `json:"type"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

func (n *node) attr(name string) string {
	if n == nil || n.Attrs == nil {
		return ""
	}
	switch v := n.Attrs[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	}
	return ""
}

func (m mark) attr(name string) string {
	s, _ := m.Attrs[name].(string)
	return s
}

// markOrder fixes the order of marks on a text node, so that equal documents
// marshal to equal bytes.
var markOrder = sync.OnceValue(func() map[string]int {
	return map[string]int{"link": 0, "textColor": 1, "strong": 2, "em": 3, "underline": 4, "strike": 5, "subsup": 6, "code": 7}
})

func sortMarks(ms []mark) {
	sort.SliceStable(ms, func(i, j int) bool { return markOrder()[ms[i].Type] < markOrder()[ms[j].Type] })
}

// panel colours Jira Cloud writes for each ADF panel type in wiki markup.
var panelColors = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"info":    "#deebff",
		"note":    "#eae6ff",
		"success": "#e3fcef",
		"warning": "#fffae6",
		"error":   "#ffebe6",
	}
})

func marshalDoc(blocks []*node) ([]byte, error) {
	if blocks == nil {
		blocks = []*node{}
	}
	doc := struct {
		Type    string  `json:"type"`
		Version int     `json:"version"`
		Content []*node `json:"content"`
	}{"doc", 1, blocks}
	return json.Marshal(doc)
}
