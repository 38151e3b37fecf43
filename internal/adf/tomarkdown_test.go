package adf_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/adf"
)

// Markdown made into ADF reads back as Markdown with its formatting.
func TestToMarkdownRoundTrip(t *testing.T) {
	src := "# Title\n\nSome **bold**, *em*, `code`, ~~gone~~ and a [link](https://example.com/x).\n\n" +
		"- one\n- two\n\n```go\nfmt.Println(1)\n```\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n> quoted"
	doc, err := adf.FromMarkdown([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc)
	got, err := adf.ToMarkdown(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Title", "**bold**", "*em*", "`code`", "~~gone~~", "[link](https://example.com/x)",
		"- one\n- two", "```go\nfmt.Println(1)\n```", "| a | b |\n| --- | --- |\n| 1 | 2 |", "> quoted"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if text, _ := adf.ToText(raw); strings.Contains(text, "**") {
		t.Errorf("ToText took on Markdown syntax:\n%s", text)
	}
}

func TestToMarkdownWikiAndNull(t *testing.T) {
	for raw, want := range map[string]string{`null`: "", `"h1. Wiki *bold*"`: "h1. Wiki *bold*", ``: ""} {
		if got, err := adf.ToMarkdown(json.RawMessage(raw)); err != nil || got != want {
			t.Errorf("ToMarkdown(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func FuzzToMarkdown(f *testing.F) {
	f.Add(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":" a ","marks":[{"type":"strong"},{"type":"link","attrs":{"href":"u"}}]}]}]}`)
	f.Add(`{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableHeader","content":[{"type":"text","text":"x|y"}]}]}]}`)
	f.Add(`{"type":"codeBlock","content":[{"type":"text","text":"` + "`" + `"}]}`)
	f.Add(`"wiki"`)
	f.Fuzz(func(t *testing.T, raw string) {
		_, _ = adf.ToMarkdown(json.RawMessage(raw))
	})
}
