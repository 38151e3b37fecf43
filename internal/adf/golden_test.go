package adf_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ticket-mate/tm/internal/adf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// marshal is how goldens store a document: indented and without HTML
// escaping, so a reviewer reads <b> rather than \u003cb\u003e.
func marshal(t testing.TB, d *adf.Doc) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return buf.Bytes()
}

// golden compares got with testdata file name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

// TestGolden converts every testdata/*.md to ADF (.json, checked against the
// validator), back to terminal text (.txt) and to wiki markup (.wiki).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.md: %v", err)
	}
	for _, md := range files {
		base := strings.TrimSuffix(md, ".md")
		t.Run(filepath.Base(base), func(t *testing.T) {
			src, err := os.ReadFile(md)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := adf.FromMarkdown(src)
			if err != nil {
				t.Fatalf("FromMarkdown: %v", err)
			}
			js := marshal(t, doc)
			if err := validateADF(js); err != nil {
				t.Errorf("ADF fails validation: %v", err)
			}
			golden(t, base+".json", js)

			text, err := adf.ToText(js)
			if err != nil {
				t.Fatalf("ToText: %v", err)
			}
			if text != doc.Text() {
				t.Errorf("ToText(json) and Doc.Text() disagree:\n%s\n---\n%s", text, doc.Text())
			}
			golden(t, base+".txt", []byte(text+"\n"))

			wiki, err := adf.ToWiki(src)
			if err != nil {
				t.Fatalf("ToWiki: %v", err)
			}
			golden(t, base+".wiki", []byte(wiki+"\n"))
		})
	}
}

// TestToTextGolden renders ADF as Jira's editor writes it (mentions, emoji,
// cards, panels, nodes this package never produces) from testdata/adf.
func TestToTextGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/adf/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/adf/*.json: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text, err := adf.ToText(raw)
			if err != nil {
				t.Fatalf("ToText: %v", err)
			}
			golden(t, strings.TrimSuffix(f, ".json")+".txt", []byte(text+"\n"))
		})
	}
}
