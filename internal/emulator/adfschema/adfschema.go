// Package adfschema checks Atlassian Document Format documents against
// Atlassian's published JSON Schema (full.json from @atlaskit/adf-schema,
// Apache-2.0, see LICENSE), the way Jira Cloud refuses a rich-text value
// that breaks it. It owns the sandbox's use of
// github.com/santhosh-tekuri/jsonschema/v6.
//
// The schema is compiled once, on first use, so the sandbox starts in
// milliseconds and a check costs only the walk over the document.
package adfschema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed full.json
var schemaJSON []byte

var (
	once     sync.Once
	compiled *jsonschema.Schema
	errLoad  error
)

func schema() (*jsonschema.Schema, error) {
	once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			errLoad = fmt.Errorf("adfschema: read the embedded schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		if err := c.AddResource("adf-full.json", doc); err != nil {
			errLoad = fmt.Errorf("adfschema: %w", err)
			return
		}
		compiled, errLoad = c.Compile("adf-full.json")
	})
	return compiled, errLoad
}

// Check reports why doc is not a valid ADF document, or nil when it is.
func Check(doc []byte) error {
	sch, err := schema()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(v)
}
