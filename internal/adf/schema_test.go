package adf_test

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// adfSchema is Atlassian's ADF schema (testdata/schema), compiled once.
var adfSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/schema/full.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	const url = "https://ticket-mate.invalid/adf/full.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// schemaCheck validates an ADF document (as JSON) against Atlassian's schema.
func schemaCheck(t testing.TB, js []byte) error {
	t.Helper()
	sch, err := adfSchema()
	if err != nil {
		t.Fatalf("the ADF schema does not compile: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
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
