package wiki_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/adfschema"
	"github.com/ticket-mate/tm/internal/emulator/wiki"
)

func TestFromADFDegrades(t *testing.T) {
	tests := []struct{ name, adf, want string }{
		{"null body", `null`, ""},
		{"empty doc", `{"type":"doc","version":1,"content":[]}`, ""},
		{"status and date", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[
			{"type":"status","attrs":{"text":"IN REVIEW","color":"blue"}},{"type":"text","text":" since "},
			{"type":"date","attrs":{"timestamp":"1704153600000"}}]}]}`, "IN REVIEW since 2024-01-02"},
		{"expand keeps its body", `{"type":"doc","version":1,"content":[{"type":"expand","attrs":{"title":"More"},"content":[
			{"type":"paragraph","content":[{"type":"text","text":"hidden"}]}]}]}`, "hidden"},
		{"unknown inline node", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[
			{"type":"futureThing","text":"kept *as* text"}]}]}`, `kept \*as\* text`},
		{"task list", `{"type":"doc","version":1,"content":[{"type":"taskList","attrs":{"localId":"x"},"content":[
			{"type":"taskItem","attrs":{"state":"DONE"},"content":[{"type":"text","text":"ship it"}]}]}]}`, "* ship it"},
		{"hard break in a list item", `{"type":"doc","version":1,"content":[{"type":"bulletList","content":[{"type":"listItem","content":[
			{"type":"paragraph","content":[{"type":"text","text":"a"},{"type":"hardBreak"},{"type":"text","text":"b"}]}]}]}]}`, `* a\\b`},
		{"mention without id", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"mention","attrs":{"text":"@Ann"}}]}]}`, "@Ann"},
		{"code keeps markup characters", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[
			{"type":"text","text":"a*b","marks":[{"type":"code"}]}]}]}`, "{{a*b}}"},
		{"mark inside a word", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[
			{"type":"text","text":"re"},{"type":"text","text":"open","marks":[{"type":"em"}]},{"type":"text","text":"ed"}]}]}`, "re{_}open{_}ed"},
		{"media by id", `{"type":"doc","version":1,"content":[{"type":"mediaGroup","content":[
			{"type":"media","attrs":{"type":"file","id":"abc-123","collection":"c"}}]}]}`, "!abc-123!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wiki.FromADF([]byte(tt.adf))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("FromADF = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFromADFRejectsNonDocuments(t *testing.T) {
	tests := []struct{ in, msg string }{
		{`"plain string"`, "not an Atlassian Document Format document: json: cannot unmarshal string into Go value of type wiki.node"},
		{`{"type":"paragraph","content":[]}`, `not an Atlassian Document Format document: the top-level node has type "paragraph"; send {"type":"doc","version":1,"content":[…]}`},
		{`{"type":"doc"`, "not an Atlassian Document Format document: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		_, err := wiki.FromADF([]byte(tt.in))
		if !errors.Is(err, wiki.ErrNotADF) {
			t.Errorf("FromADF(%s) error = %v, want ErrNotADF", tt.in, err)
			continue
		}
		if err.Error() != tt.msg {
			t.Errorf("FromADF(%s)\n got: %s\nwant: %s", tt.in, err, tt.msg)
		}
	}
}

func TestToADFPlainText(t *testing.T) {
	got, err := wiki.ToADF("one\r\ntwo\n\n\nthree")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"doc","version":1,"content":[` +
		`{"type":"paragraph","content":[{"type":"text","text":"one"},{"type":"hardBreak"},{"type":"text","text":"two"}]},` +
		`{"type":"paragraph","content":[{"type":"text","text":"three"}]}]}`
	if string(got) != want {
		t.Errorf("ToADF\n got: %s\nwant: %s", got, want)
	}
	empty, err := wiki.ToADF("")
	if err != nil {
		t.Fatal(err)
	}
	if string(empty) != `{"type":"doc","version":1,"content":[]}` {
		t.Errorf("ToADF(\"\") = %s", empty)
	}
}

// Wiki that Jira accepts but that comes back spelled differently.
func TestToADFOneWay(t *testing.T) {
	tests := []struct{ in, back string }{
		{`line one\\line two`, "line one\nline two"},
		{"{noformat}\n*raw*\n{noformat}", "{code}\n*raw*\n{code}"},
		{"bq. quoted", "{quote}\nquoted\n{quote}"},
		{"{color:red}r{color}", "{color:#ff0000}r{color}"},
		{"[~bob] on Data Center", "[~accountid:bob] on Data Center"},
		{"see https://x.io/a.", "see [https://x.io/a]."},
		{"{panel:title=Hi}\nbody\n{panel}", "{panel:bgColor=#deebff}\nbody\n{panel}"},
		{"{quote}\nh2. heading in a quote\n{quote}", "{quote}\nheading in a quote\n{quote}"},
		{"{code}unclosed", "\\{code}unclosed"},
		{"*unclosed bold", `\*unclosed bold`},
		{"!image.png|thumbnail!", "!image.png!"},
	}
	for _, tt := range tests {
		adf, err := wiki.ToADF(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wiki.FromADF(adf)
		if err != nil {
			t.Fatal(err)
		}
		if back != tt.back {
			t.Errorf("FromADF(ToADF(%q)) = %q, want %q (ADF %s)", tt.in, back, tt.back, adf)
		}
	}
}

// After one round, ADF → wiki → ADF is stable for every golden document and
// for ADF that first came from arbitrary wiki.
func TestRoundTripStable(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, f := range inputs {
		docs = append(docs, []byte(read(t, f)))
	}
	for _, w := range fuzzSeeds {
		adf, err := wiki.ToADF(w)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, adf)
	}
	for i, doc := range docs {
		t.Run(fmt.Sprint(i), func(t *testing.T) { assertStable(t, doc) })
	}
}

func assertStable(t *testing.T, doc []byte) {
	t.Helper()
	once := roundTrip(t, doc)
	twice := roundTrip(t, once)
	if string(once) != string(twice) {
		t.Errorf("not stable after one round:\n in:    %s\n once:  %s\n twice: %s", doc, once, twice)
	}
}

func roundTrip(t *testing.T, doc []byte) []byte {
	t.Helper()
	w, err := wiki.FromADF(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := wiki.ToADF(w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var fuzzSeeds = []string{
	"",
	"plain\ntext\n\nparagraphs",
	"h2. *Bold* heading with [a link|https://example.com]",
	"* a\n** b\n*** c\n# d\n#* e\n## f",
	"||h1||h2||\n|c1|[x|https://x.io]|\n|\\|escaped| |",
	"{code:java}\nint x = 1;\n{code}",
	"{quote}\n{quote}\n{quote}",
	"{panel:bgColor=#ffebe6}\n{code}x{code}\n----\n{panel}",
	"*bold _em +under -strike ^sup ~sub~^- + _*",
	"{color:#abc}short hex{color} {color:nope}bad{color}",
	"foo{*}bar{*} {_} space {_}",
	"[~accountid:abc] :smile: [https://a.io|https://a.io|smart-link]",
	"!pic.png!\n\n[https://b.io|https://b.io|smart-card]",
	"\\\\ \\* \\ trailing backslash \\",
	"{{code with *stars*}} and {{}}",
	"[] [|] [text|] [|https://x.io] [~] [~accountid:]",
	"h7. not a heading\nh1.no space",
	"-----\n----\n---",
	"** orphan nested\n* top",
	"*a*b* _a_b_ x*y*z",
	"http://x.io/path?q=1&r=2), and https://y.io.",
	"\x00\x01\xff\xfe invalid utf8",
}

// FuzzToADF checks that any input yields a valid ADF document.
func FuzzToADF(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := wiki.ToADF(s)
		if err != nil {
			t.Fatalf("ToADF(%q): %v", s, err)
		}
		if err := validADF(out); err != nil {
			t.Fatalf("ToADF(%q) = %s: %v", s, out, err)
		}
		if err := adfschema.Check(out); err != nil {
			t.Fatalf("ToADF(%q) = %s breaks Atlassian's ADF schema: %v", s, out, err)
		}
		if _, err := wiki.FromADF(out); err != nil {
			t.Fatalf("FromADF(ToADF(%q)): %v", s, err)
		}
	})
}

type adfNode struct {
	Type    string           `json:"type"`
	Version *int             `json:"version"`
	Attrs   map[string]any   `json:"attrs"`
	Content []*adfNode       `json:"content"`
	Text    *string          `json:"text"`
	Marks   []map[string]any `json:"marks"`
}

// children lists what each container may hold, after ADF's schema.
var children = map[string][]string{
	"doc":         {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "panel", "rule", "table", "mediaSingle", "blockCard"},
	"paragraph":   {"inline"},
	"heading":     {"inline"},
	"bulletList":  {"listItem"},
	"orderedList": {"listItem"},
	"listItem":    {"paragraph", "bulletList", "orderedList", "codeBlock", "mediaSingle"},
	"codeBlock":   {"text"},
	"blockquote":  {"paragraph", "bulletList", "orderedList", "codeBlock", "mediaSingle", "mediaGroup"},
	"panel":       {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "mediaSingle", "mediaGroup", "rule", "blockCard"},
	"table":       {"tableRow"},
	"tableRow":    {"tableHeader", "tableCell"},
	"tableHeader": {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "mediaSingle", "rule", "blockquote", "panel", "blockCard"},
	"tableCell":   {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "mediaSingle", "rule", "blockquote", "panel", "blockCard"},
	"mediaSingle": {"media"},
}

var inline = []string{"text", "hardBreak", "mention", "emoji", "inlineCard"}

func validADF(b []byte) error {
	var doc adfNode
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if doc.Type != "doc" || doc.Version == nil || *doc.Version != 1 || doc.Content == nil {
		return errors.New(`want {"type":"doc","version":1,"content":[…]}`)
	}
	return validNode(&doc)
}

func validNode(n *adfNode) error {
	if n == nil {
		return errors.New("null node")
	}
	allowed, container := children[n.Type]
	if !container && len(n.Content) > 0 {
		return fmt.Errorf("%s has content", n.Type)
	}
	for _, c := range n.Content {
		ok := false
		for _, a := range allowed {
			if a == c.Type || (a == "inline" && contains(inline, c.Type)) {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%s may not contain %s", n.Type, c.Type)
		}
		if err := validNode(c); err != nil {
			return err
		}
	}
	switch n.Type {
	case "text":
		if n.Text == nil || *n.Text == "" {
			return errors.New("empty text node")
		}
		seen := map[string]bool{}
		for _, m := range n.Marks {
			typ, _ := m["type"].(string)
			if typ == "" || seen[typ] {
				return fmt.Errorf("bad or repeated mark %v", m)
			}
			seen[typ] = true
		}
		if seen["code"] && len(seen) > 1 && !(len(seen) == 2 && seen["link"]) {
			return fmt.Errorf("code combined with %v", n.Marks)
		}
	case "listItem", "tableHeader", "tableCell", "mediaSingle", "blockquote", "panel", "tableRow", "bulletList", "orderedList", "table":
		if len(n.Content) == 0 {
			return fmt.Errorf("empty %s", n.Type)
		}
	case "heading":
		if lv, _ := n.Attrs["level"].(float64); lv < 1 || lv > 6 {
			return fmt.Errorf("heading level %v", n.Attrs["level"])
		}
	case "mention", "inlineCard", "blockCard", "emoji":
		for _, k := range map[string][]string{"mention": {"id"}, "inlineCard": {"url"}, "blockCard": {"url"}, "emoji": {"shortName"}}[n.Type] {
			if s, _ := n.Attrs[k].(string); s == "" {
				return fmt.Errorf("%s without %s", n.Type, k)
			}
		}
	}
	if n.Type == "listItem" && n.Content[0].Type != "paragraph" {
		return errors.New("listItem must start with a paragraph")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzRoundTrip checks the round-trip property on ADF made from any wiki.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		adf, err := wiki.ToADF(s)
		if err != nil {
			t.Fatal(err)
		}
		assertStable(t, adf)
	})
}

// FuzzFromADF checks that FromADF never panics and fails only with ErrNotADF.
func FuzzFromADF(f *testing.F) {
	f.Add([]byte(`{"type":"doc","version":1,"content":[{"type":"bulletList","content":[null,{"type":"listItem"}]}]}`))
	f.Add([]byte(`{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[null,{"type":"tableHeader"}]}]},{"type":"heading","attrs":{"level":"x"}}]}`))
	f.Add([]byte(`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":7}},{"type":"subsup"}]}]}]}`))
	for _, s := range fuzzSeeds {
		if adf, err := wiki.ToADF(s); err == nil {
			f.Add(adf)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := wiki.FromADF(b); err != nil && !errors.Is(err, wiki.ErrNotADF) {
			t.Fatalf("FromADF(%s): %v", b, err)
		}
	})
}
