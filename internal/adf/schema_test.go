package adf_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/adfschema"
)

// schemaCheck validates an ADF document (as JSON) against Atlassian's
// published schema, the same check the sandbox makes of what it is sent.
func schemaCheck(t testing.TB, js []byte) error {
	t.Helper()
	return adfschema.Check(js)
}

// TestSchemaRejects proves the schema check can fail.
func TestSchemaRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown node":    `{"type":"doc","version":1,"content":[{"type":"blink"}]}`,
		"task no state":   `{"type":"doc","version":1,"content":[{"type":"taskList","attrs":{"localId":"a"},"content":[{"type":"taskItem","attrs":{"localId":"b"}}]}]}`,
		"link no href":    `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{}}]}]}]}`,
		"heading level 9": `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":9}}]}`,
		"version 2":       `{"type":"doc","version":2,"content":[]}`,
	} {
		if err := schemaCheck(t, []byte(doc)); err == nil {
			t.Errorf("%s: the schema accepted %s", name, doc)
		}
	}
	if err := schemaCheck(t, []byte(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"ok"}]}]}`)); err != nil {
		t.Errorf("a plain paragraph: %v", err)
	}
}

// TestGoldenOutputsMatchSchema: every golden ADF file satisfies the schema.
func TestGoldenOutputsMatchSchema(t *testing.T) {
	files, _ := os.ReadDir("testdata")
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile("testdata/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		n++
		if err := schemaCheck(t, b); err != nil {
			t.Errorf("%s: %v", f.Name(), err)
		}
	}
	if n == 0 {
		t.Fatal("no golden ADF files found")
	}
}
