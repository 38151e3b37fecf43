package adf_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// validateADF checks, on the JSON Jira would receive, the structural rules
// Jira's ADF validator enforces for every node FromMarkdown can produce: the
// schema's parent/child sets, required attributes, no empty text, marks only
// on text and never duplicated, code combined with link only, list items
// opening with a paragraph or list, code blocks holding unmarked text only,
// no empty "content" arrays below the root, unique task localIds.
func validateADF(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	v := &validator{ids: map[string]bool{}}
	if root["type"] != "doc" {
		return fmt.Errorf(`root type is %v, want "doc"`, root["type"])
	}
	if n, ok := root["version"].(json.Number); !ok || n.String() != "1" {
		return fmt.Errorf("root version is %v, want 1", root["version"])
	}
	if err := onlyKeys(root, "type", "version", "content"); err != nil {
		return fmt.Errorf("doc: %v", err)
	}
	content, ok := root["content"].([]any)
	if !ok {
		return fmt.Errorf("doc: content is %T, want an array", root["content"])
	}
	return v.children("doc", content, blockTypes)
}

type validator struct{ ids map[string]bool }

var (
	blockTypes  = set("paragraph", "heading", "bulletList", "orderedList", "taskList", "codeBlock", "blockquote", "rule", "table")
	inlineTypes = set("text", "hardBreak")
	nestedTypes = set("paragraph", "bulletList", "orderedList", "codeBlock") // listItem, blockquote
	listStart   = set("paragraph", "bulletList", "orderedList")
	markTypes   = set("em", "strong", "strike", "code", "link", "underline")
)

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (v *validator) children(path string, content []any, allowed map[string]bool) error {
	for i, c := range content {
		p := fmt.Sprintf("%s.content[%d]", path, i)
		n, ok := c.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: node is %T, want an object", p, c)
		}
		typ, _ := n["type"].(string)
		if !allowed[typ] {
			return fmt.Errorf("%s: %q is not allowed here", p, typ)
		}
		if err := v.node(p+"("+typ+")", typ, n); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) node(path, typ string, n map[string]any) error {
	if err := onlyKeys(n, "type", "attrs", "content", "text", "marks"); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if typ != "text" {
		if _, ok := n["text"]; ok {
			return fmt.Errorf("%s: only text nodes carry text", path)
		}
		if _, ok := n["marks"]; ok {
			return fmt.Errorf("%s: marks on a %s node; only text nodes take marks", path, typ)
		}
	}
	attrs, _ := n["attrs"].(map[string]any)
	if a, ok := n["attrs"]; ok && (attrs == nil || len(attrs) == 0) {
		return fmt.Errorf("%s: attrs is %v, want a non-empty object or none", path, a)
	}
	var content []any
	if c, ok := n["content"]; ok {
		content, ok = c.([]any)
		if !ok || len(content) == 0 {
			return fmt.Errorf("%s: content is %v; an empty content array must be left out", path, c)
		}
	}
	need := func(min int) error {
		if len(content) < min {
			return fmt.Errorf("%s: needs at least %d child node(s)", path, min)
		}
		return nil
	}
	switch typ {
	case "text":
		return v.text(path, n)
	case "hardBreak", "rule":
		if attrs != nil || content != nil {
			return fmt.Errorf("%s: a %s has no attrs or content", path, typ)
		}
		return nil
	case "paragraph":
		if err := allowedAttrs(path, attrs); err != nil {
			return err
		}
		return v.children(path, content, inlineTypes)
	case "heading":
		if err := intAttr(path, attrs, "level", 1, 6, true); err != nil {
			return err
		}
		return v.children(path, content, inlineTypes)
	case "bulletList", "orderedList":
		if typ == "bulletList" {
			if err := allowedAttrs(path, attrs); err != nil {
				return err
			}
		} else if err := intAttr(path, attrs, "order", 0, 1<<31-1, false); err != nil {
			return err
		}
		if err := need(1); err != nil {
			return err
		}
		return v.children(path, content, set("listItem"))
	case "listItem":
		if err := need(1); err != nil {
			return err
		}
		first, _ := content[0].(map[string]any)
		if !listStart[fmt.Sprint(first["type"])] {
			return fmt.Errorf("%s: a listItem must open with a paragraph or a list, not %v", path, first["type"])
		}
		return v.children(path, content, nestedTypes)
	case "blockquote":
		if err := need(1); err != nil {
			return err
		}
		return v.children(path, content, nestedTypes)
	case "codeBlock":
		if lang, ok := attrs["language"]; ok {
			if s, ok := lang.(string); !ok || s == "" {
				return fmt.Errorf("%s: language is %v, want a non-empty string", path, lang)
			}
		}
		for i, c := range content {
			t, _ := c.(map[string]any)
			if t["type"] != "text" || t["marks"] != nil {
				return fmt.Errorf("%s.content[%d]: a codeBlock holds only text without marks, got %v", path, i, c)
			}
		}
		return v.children(path, content, set("text"))
	case "taskList":
		if err := v.localID(path, attrs); err != nil {
			return err
		}
		if err := need(1); err != nil {
			return err
		}
		if first, _ := content[0].(map[string]any); first["type"] != "taskItem" {
			return fmt.Errorf("%s: a taskList must open with a taskItem, not %v", path, first["type"])
		}
		return v.children(path, content, set("taskItem", "taskList"))
	case "taskItem":
		if err := v.localID(path, attrs); err != nil {
			return err
		}
		if s := attrs["state"]; s != "TODO" && s != "DONE" {
			return fmt.Errorf("%s: state is %v, want TODO or DONE", path, s)
		}
		return v.children(path, content, inlineTypes)
	case "table":
		if err := need(1); err != nil {
			return err
		}
		width := -1
		for i, r := range content {
			row, _ := r.(map[string]any)
			cells, _ := row["content"].([]any)
			if width >= 0 && len(cells) != width {
				return fmt.Errorf("%s.content[%d]: row has %d cells, the first has %d", path, i, len(cells), width)
			}
			width = len(cells)
		}
		return v.children(path, content, set("tableRow"))
	case "tableRow":
		if err := need(1); err != nil {
			return err
		}
		return v.children(path, content, set("tableHeader", "tableCell"))
	case "tableHeader", "tableCell":
		if err := need(1); err != nil {
			return err
		}
		return v.children(path, content, set("paragraph", "bulletList", "orderedList", "codeBlock", "blockquote", "rule", "heading", "taskList"))
	}
	return fmt.Errorf("%s: unknown node type %q", path, typ)
}

func (v *validator) text(path string, n map[string]any) error {
	s, ok := n["text"].(string)
	if !ok || s == "" {
		return fmt.Errorf("%s: text node with empty or missing text", path)
	}
	if _, ok := n["content"]; ok {
		return fmt.Errorf("%s: a text node has no content", path)
	}
	// ticket-mate's own rule rather than Jira's: outside code, line breaks are
	// hardBreak nodes, never raw newlines.
	if !strings.Contains(path, "(codeBlock)") && strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("%s: raw line break in text %q; use hardBreak", path, s)
	}
	if _, ok := n["attrs"]; ok {
		return fmt.Errorf("%s: a text node has no attrs", path)
	}
	marks, _ := n["marks"].([]any)
	if m, ok := n["marks"]; ok && len(marks) == 0 {
		return fmt.Errorf("%s: marks is %v; leave out empty marks", path, m)
	}
	seen := map[string]bool{}
	for i, m := range marks {
		mark, _ := m.(map[string]any)
		typ, _ := mark["type"].(string)
		if !markTypes[typ] {
			return fmt.Errorf("%s.marks[%d]: unknown mark %q", path, i, typ)
		}
		if seen[typ] {
			return fmt.Errorf("%s: mark %q appears twice", path, typ)
		}
		seen[typ] = true
		attrs, hasAttrs := mark["attrs"].(map[string]any)
		if typ == "link" {
			if href, _ := attrs["href"].(string); href == "" {
				return fmt.Errorf("%s.marks[%d]: link without href", path, i)
			}
		} else if hasAttrs {
			return fmt.Errorf("%s.marks[%d]: %s takes no attrs", path, i, typ)
		}
	}
	if seen["code"] {
		for typ := range seen {
			if typ != "code" && typ != "link" {
				return fmt.Errorf("%s: code mark combined with %s; code combines with link only", path, typ)
			}
		}
	}
	return nil
}

func (v *validator) localID(path string, attrs map[string]any) error {
	id, _ := attrs["localId"].(string)
	if id == "" {
		return fmt.Errorf("%s: missing localId", path)
	}
	if v.ids[id] {
		return fmt.Errorf("%s: localId %q is used twice", path, id)
	}
	v.ids[id] = true
	return nil
}

func intAttr(path string, attrs map[string]any, key string, lo, hi int64, required bool) error {
	raw, ok := attrs[key]
	if !ok {
		if required {
			return fmt.Errorf("%s: missing attrs.%s", path, key)
		}
		return allowedAttrs(path, attrs)
	}
	n, ok := raw.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil || i < lo || i > hi {
		return fmt.Errorf("%s: attrs.%s is %v, want an integer in [%d, %d]", path, key, raw, lo, hi)
	}
	return allowedAttrs(path, attrs, key)
}

func allowedAttrs(path string, attrs map[string]any, keys ...string) error {
	for k := range attrs {
		if !set(keys...)[k] {
			return fmt.Errorf("%s: unexpected attrs.%s", path, k)
		}
	}
	return nil
}

func onlyKeys(n map[string]any, keys ...string) error {
	var extra []string
	for k := range n {
		if !set(keys...)[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("unexpected keys %s", strings.Join(extra, ", "))
	}
	return nil
}
