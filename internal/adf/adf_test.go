package adf_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
)

// TestValidatorRejects proves the validator used on every output can fail:
// each document breaks one rule Jira enforces.
func TestValidatorRejects(t *testing.T) {
	p := func(inline string) string { return `{"type":"paragraph","content":[` + inline + `]}` }
	doc := func(blocks ...string) string {
		return `{"type":"doc","version":1,"content":[` + strings.Join(blocks, ",") + `]}`
	}
	tests := []struct {
		name, doc, want string
	}{
		{"empty text", doc(p(`{"type":"text","text":""}`)), "empty or missing text"},
		{"marks on non-text", doc(`{"type":"paragraph","marks":[{"type":"strong"}]}`), "only text nodes take marks"},
		{"code with strong", doc(p(`{"type":"text","text":"x","marks":[{"type":"code"},{"type":"strong"}]}`)), "code combines with link only"},
		{"duplicate mark", doc(p(`{"type":"text","text":"x","marks":[{"type":"em"},{"type":"em"}]}`)), `"em" appears twice`},
		{"link without href", doc(p(`{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":""}}]}`)), "link without href"},
		{"list item opening with code", doc(`{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"codeBlock"}]}]}`), "must open with a paragraph or a list"},
		{"heading in list item", doc(`{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph"},{"type":"heading","attrs":{"level":1}}]}]}`), `"heading" is not allowed here`},
		{"marked code", doc(`{"type":"codeBlock","content":[{"type":"text","text":"x","marks":[{"type":"strong"}]}]}`), "only text without marks"},
		{"hardBreak in code", doc(`{"type":"codeBlock","content":[{"type":"hardBreak"}]}`), "only text without marks"},
		{"empty content array", doc(`{"type":"bulletList","content":[]}`), "an empty content array must be left out"},
		{"empty list", doc(`{"type":"bulletList"}`), "needs at least 1 child"},
		{"heading level 7", doc(`{"type":"heading","attrs":{"level":7}}`), "want an integer in [1, 6]"},
		{"ragged table", doc(`{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","content":[` + p(`{"type":"text","text":"a"}`) + `]}]},{"type":"tableRow","content":[{"type":"tableCell","content":[` + p(`{"type":"text","text":"a"}`) + `]},{"type":"tableCell","content":[` + p(`{"type":"text","text":"b"}`) + `]}]}]}`), "row has 2 cells, the first has 1"},
		{"task without state", doc(`{"type":"taskList","attrs":{"localId":"a"},"content":[{"type":"taskItem","attrs":{"localId":"b"}}]}`), "want TODO or DONE"},
		{"duplicate localId", doc(`{"type":"taskList","attrs":{"localId":"a"},"content":[{"type":"taskItem","attrs":{"localId":"a","state":"TODO"}}]}`), `localId "a" is used twice`},
		{"null doc content", `{"type":"doc","version":1,"content":null}`, "want an array"},
		{"rule with content", doc(`{"type":"rule","content":[{"type":"paragraph"}]}`), "has no attrs or content"},
		{"unknown key", doc(`{"type":"rule","colour":"red"}`), "unexpected keys colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateADF([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validateADF = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	src := []byte("# ok\n\nbad \xff byte")
	check := func(name string, err error) {
		t.Helper()
		var e *tm.Error
		if !errors.As(err, &e) || e.Code != tm.EINVALID {
			t.Fatalf("%s: error %v, want a *tm.Error with code %s", name, err, tm.EINVALID)
		}
		if !strings.Contains(e.Message, "not valid UTF-8 (first bad byte at offset 10)") || !strings.Contains(e.Hint, "UTF-8") {
			t.Errorf("%s: message %q hint %q", name, e.Message, e.Hint)
		}
	}
	_, err := adf.FromMarkdown(src)
	check("FromMarkdown", err)
	_, err = adf.ToWiki(src)
	check("ToWiki", err)
}

func TestToTextRejectsGarbage(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"type":`, "neither an ADF document nor a string"},
		{`[1,2]`, "neither an ADF document nor a string"},
		{`"unterminated`, "not a valid JSON string"},
	} {
		_, err := adf.ToText(json.RawMessage(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ToText(%s) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestEmptyDocMarshalsContentArray(t *testing.T) {
	for _, d := range []*adf.Doc{{Type: "doc", Version: 1}, adf.NewDoc()} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), `{"type":"doc","version":1,"content":[]}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// TestWikiEscaping checks single constructs in isolation: what Jira would
// read as markup is escaped, what it would not is left readable.
func TestWikiEscaping(t *testing.T) {
	tests := []struct{ md, want string }{
		{`well-known snake_case x*y C++`, `well-known snake_case x*y C\+\+`},
		{`a - b`, `a \- b`},
		{`h3. title`, `h3\. title`},
		{`bq. said`, `bq\. said`},
		{`\# one`, `\# one`},
		{`issue #5`, `issue #5`},
		{`{panel} [x] |`, `\{panel\} \[x\] \|`},
		{`Hello! !img.png!`, `Hello! \!img.png!`},
		{`really??`, `really\??`},
		{`smile :) ok (y)`, `smile \:) ok \(y)`},
		{`path C:\dir\file`, `path C:\dir\file`},
		{`end\\`, `end&#92;`},
		{`x\\*`, `x&#92;\*`},
		{`**bold**`, `*bold*`},
		{`in**word**s`, `in{*}word{*}s`},
		{`~~gone~~`, `-gone-`},
		{"`{{x}}`", `{{\{\{x\}\}}}`},
		{`[a|b](http://e.com/x|y]z)`, `[a\|b|http://e.com/x%7Cy%5Dz]`},
		{`[http://e.com](http://e.com)`, `[http://e.com]`},
		{"a  \nb", `a\\b`},
	}
	for _, tt := range tests {
		got, err := adf.ToWiki([]byte(tt.md))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("ToWiki(%q) = %q, want %q", tt.md, got, tt.want)
		}
	}
}

// TestLocalIDsUnique: two task lists in one document never share an id.
func TestLocalIDsUnique(t *testing.T) {
	doc, err := adf.FromMarkdown([]byte("- [ ] a\n- [x] b\n\ntext\n\n- [ ] c\n  - [ ] d\n"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func([]adf.Node)
	walk = func(ns []adf.Node) {
		for _, n := range ns {
			if id, ok := n.Attrs["localId"].(string); ok {
				if seen[id] {
					t.Errorf("localId %q used twice", id)
				}
				seen[id] = true
			}
			walk(n.Content)
		}
	}
	walk(doc.Content)
	if len(seen) != 7 {
		t.Errorf("found %d localIds, want 7 (2 lists, 1 nested list, 4 items)", len(seen))
	}
}

// seeds returns every golden Markdown file plus hand-picked edge cases: the
// seed corpus of both fuzz targets, run by plain go test.
func seeds(f *testing.F) {
	for _, b := range adf.GoldenMarkdown(f) {
		f.Add(b)
	}
	for _, s := range []string{
		"", "\x00", "*", "**", "`", "- ", "1.", "> ", "|a|\n|-|", "- [ ]", "- [x] ",
		"> - [ ] x\n>   - [x] y", "* > # h\n  > | a |\n  > |---|", "<div>\n\n</div>", "\\", "&#0;",
		"***`a`***", "[`a`](b)", "[](x)", "![](x)", "a\\\nb", "~~`x`~~",
		strings.Repeat(">", 200) + " deep", strings.Repeat("- ", 100) + "deep",
		"- a\n\n  ```\n  b\n  ```\n- c\n  | x |\n  |---|\n  | y |",
		"\xff\xfe", "x\r\ny\rz",
	} {
		f.Add([]byte(s))
	}
}

// accepted checks a converter's verdict on src: an error exactly when src is
// not UTF-8. It reports whether there is output to check.
func accepted(t *testing.T, src []byte, err error) bool {
	t.Helper()
	if !utf8.Valid(src) {
		if err == nil {
			t.Fatal("invalid UTF-8 accepted")
		}
		return false
	}
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	return true
}

func FuzzFromMarkdown(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := adf.FromMarkdown(src)
		if !accepted(t, src, err) {
			return
		}
		js, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if err := validateADF(js); err != nil {
			t.Fatalf("invalid ADF for %q: %v\n%s", src, err, js)
		}
		if err := schemaCheck(t, js); err != nil {
			t.Fatalf("ADF for %q breaks Atlassian's schema: %v\n%s", src, err, js)
		}
		text, err := adf.ToText(js)
		if err != nil {
			t.Fatalf("ToText: %v", err)
		}
		if !utf8.ValidString(text) {
			t.Fatalf("ToText returned invalid UTF-8: %q", text)
		}
	})
}

func FuzzToWiki(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		wiki, err := adf.ToWiki(src)
		if !accepted(t, src, err) {
			return
		}
		if !utf8.ValidString(wiki) || strings.ContainsRune(wiki, 0) {
			t.Fatalf("ToWiki(%q) = %q: invalid UTF-8 or NUL", src, wiki)
		}
	})
}
