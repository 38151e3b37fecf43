package adf_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/adf"
)

func toJSON(t *testing.T, md string) string {
	t.Helper()
	d, err := adf.FromMarkdown([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateADF(b); err != nil {
		t.Fatalf("invalid ADF: %v\n%s", err, b)
	}
	if err := schemaCheck(t, b); err != nil {
		t.Fatalf("schema: %v\n%s", err, b)
	}
	return string(b)
}

// TestCRLF: Windows line endings leave no carriage return anywhere, code
// blocks included, in ADF and in wiki markup.
func TestCRLF(t *testing.T) {
	src := "# Title\r\n\r\n```go\r\nfunc main() {\r\n}\r\n```\r\n\r\nline one\r\nline two\rold mac\r\n"
	js := toJSON(t, src)
	if strings.Contains(js, `\r`) {
		t.Errorf("a carriage return survived: %s", js)
	}
	if !strings.Contains(js, `"text":"func main() {\n}"`) {
		t.Errorf("the code block lost its lines: %s", js)
	}
	if lf := toJSON(t, strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")); lf != js {
		t.Errorf("CRLF and LF input convert differently:\n%s\n%s", js, lf)
	}
	wiki, err := adf.ToWiki([]byte(src))
	if err != nil || strings.Contains(wiki, "\r") {
		t.Errorf("ToWiki: %q, %v", wiki, err)
	}
}

// TestTasksKeepCheckboxes: task items mixed with bullets, and task lists
// nested in task items beside plain lists, stay task items.
func TestTasksKeepCheckboxes(t *testing.T) {
	for _, tc := range []struct {
		md        string
		todo      int
		done      int
		plainText string // a bullet's text that must stay a bullet
	}{
		{"- [ ] a\n- b\n- [x] c", 1, 1, "b"},
		{"- [ ] a\n  - b\n  - [x] c\n- [ ] d", 2, 1, "b"},
		{"- [x] a\n  - [ ] b\n    - [ ] c\n- plain", 2, 1, "plain"},
	} {
		js := toJSON(t, tc.md)
		if n := strings.Count(js, `"state":"TODO"`); n != tc.todo {
			t.Errorf("%q: %d TODO items, want %d\n%s", tc.md, n, tc.todo, js)
		}
		if n := strings.Count(js, `"state":"DONE"`); n != tc.done {
			t.Errorf("%q: %d DONE items, want %d\n%s", tc.md, n, tc.done, js)
		}
		if strings.Contains(js, "[ ]") || strings.Contains(js, "[x]") {
			t.Errorf("%q: a checkbox became text\n%s", tc.md, js)
		}
		if !strings.Contains(js, `{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"`+tc.plainText+`"}]}]}`) {
			t.Errorf("%q: %q is no longer a bullet\n%s", tc.md, tc.plainText, js)
		}
	}
	// A task list nested in a task list is a taskList inside the taskList.
	js := toJSON(t, "- [ ] a\n  - [x] b")
	if !strings.Contains(js, `"content":[{"type":"taskItem","attrs":{"localId":"tm-2","state":"TODO"},"content":[{"type":"text","text":"a"}]},{"type":"taskList"`) {
		t.Errorf("nested task list not nested: %s", js)
	}
}

// TestDangerousLinksDropped: javascript:, vbscript: and data: targets lose
// the link, however spelt; the text stays. Ordinary links are kept.
func TestDangerousLinksDropped(t *testing.T) {
	for _, md := range []string{
		"[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))",
		"[click](<java\tscript:x>)", "[click](vbscript:msgbox)", "[click](data:text/html;base64,PHNjcmlwdD4=)",
		"![click](javascript:x)", "<javascript:alert(1)>", "[click](&#106;avascript:x)",
	} {
		js := toJSON(t, md)
		if strings.Contains(js, `"link"`) {
			t.Errorf("%q kept its link: %s", md, js)
		}
		if !strings.Contains(js, "click") && !strings.Contains(js, "javascript:alert(1)") {
			t.Errorf("%q lost its text: %s", md, js)
		}
		wiki, _ := adf.ToWiki([]byte(md))
		if low := strings.ToLower(wiki); strings.Contains(low, "|javascript:") || strings.Contains(low, "|vbscript:") || strings.Contains(low, "|data:") ||
			strings.Contains(low, "[javascript:") {
			t.Errorf("%q kept its link in wiki markup: %q", md, wiki)
		}
	}
	js := toJSON(t, "[ok](https://example.com/a) <mailto:a@b.c> [rel](/browse/X-1)")
	for _, href := range []string{"https://example.com/a", "mailto:a@b.c", "/browse/X-1"} {
		if !strings.Contains(js, `"href":"`+href+`"`) {
			t.Errorf("the safe link %s was dropped: %s", href, js)
		}
	}
}
