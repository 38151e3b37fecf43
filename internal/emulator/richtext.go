package emulator

import (
	"encoding/json"
	"strings"
)

// adfText flattens an ADF document to plain text: JQL text search, the
// browse page and renderedFields read it.
func adfText(doc json.RawMessage) string {
	var root any
	if json.Unmarshal(doc, &root) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n any)
	walk = func(n any) {
		m, ok := n.(map[string]any)
		if !ok {
			return
		}
		if t, ok := m["text"].(string); ok {
			b.WriteString(t)
		}
		if m["type"] == "hardBreak" {
			b.WriteString("\n")
		}
		kids, _ := m["content"].([]any)
		for _, k := range kids {
			walk(k)
		}
		switch m["type"] {
		case "paragraph", "heading", "codeBlock", "listItem", "blockquote":
			b.WriteString("\n")
		}
	}
	walk(root)
	return strings.TrimSpace(b.String())
}
