package adfschema

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// general is a complete draft-04 validator compiled from the same schema:
// the reference the package's own validator is held to. It is linked into
// tests only.
func general(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("adf-full.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("adf-full.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func agree(t *testing.T, ref *jsonschema.Schema, b []byte) {
	t.Helper()
	mine := Check(b)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	var theirs error
	if err != nil {
		theirs = err
	} else {
		theirs = ref.Validate(v)
	}
	if (mine == nil) != (theirs == nil) {
		t.Errorf("verdicts differ on %s\n  ours: %v\n  general: %v", b, mine, theirs)
	}
}

// documents are the ADF documents the project's tests produce and read.
func documents(t *testing.T) [][]byte {
	t.Helper()
	var paths []string
	for _, glob := range []string{"../../adf/testdata/*.json", "../../adf/testdata/adf/*.json", "../wiki/testdata/golden/*.json"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 20 {
		t.Fatalf("found only %d documents; the test data moved?", len(paths))
	}
	var docs [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	return docs
}

// mutations breaks a document in the ways a client gets ADF wrong: a key
// dropped, a value of the wrong type, an unknown key, a node type swapped,
// numbers out of range. Each is made at every place in the document.
func mutations(doc any) [][]byte {
	var out [][]byte
	emit := func() {
		b, _ := json.Marshal(doc)
		out = append(out, b)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				old := x[k]
				delete(x, k)
				emit()
				for _, repl := range []any{"x", json.Number("0"), json.Number("-1"), json.Number("9"), json.Number("1.5"), true, nil, []any{}, map[string]any{}, "", "#12345g", "paragraph", "text", "red"} {
					x[k] = repl
					emit()
				}
				x[k] = old
				walk(old)
			}
			x["zz"] = "extra"
			emit()
			delete(x, "zz")
		case []any:
			for i, item := range x {
				walk(item)
				x[i] = "x"
				emit()
				x[i] = item
			}
		}
	}
	walk(doc)
	return out
}

// TestAgreesWithGeneralValidator holds the package's validator to a
// complete draft-04 implementation, on every document the tests use and on
// a spread of broken variants of each. The general validator explores
// every alternative of every anyOf, so on large documents it takes seconds
// per variant: those get a sparser sample (the fuzz target goes further).
func TestAgreesWithGeneralValidator(t *testing.T) {
	ref := general(t)
	n := 0
	for _, doc := range documents(t) {
		agree(t, ref, doc)
		n++
		v, err := decode(doc)
		if err != nil {
			continue
		}
		ms := mutations(v)
		want := 40
		if len(doc) > 1500 {
			want = 6
		}
		// A fixed seed: the same sample every run, spread over the
		// mutation kinds rather than aligned with their order.
		rng := rand.New(rand.NewPCG(uint64(len(doc)), 1))
		for _, i := range rng.Perm(len(ms))[:min(want, len(ms))] {
			agree(t, ref, ms[i])
			n++
		}
	}
	t.Logf("%d documents compared", n)
	if n < 800 {
		t.Errorf("only %d documents compared", n)
	}
}

// FuzzAgreesWithGeneralValidator: on any input, the two give one verdict.
func FuzzAgreesWithGeneralValidator(f *testing.F) {
	for _, s := range []string{
		`{"type":"doc","version":1,"content":[]}`,
		`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"link","attrs":{"href":"https://x"}}]}]}]}`,
		`{"type":"doc","version":1.0,"content":[{"type":"heading","attrs":{"level":6.0}}]}`,
		`{"type":"doc","version":1,"content":[{"type":"status","attrs":{"text":"é","color":"#00ff00"}}]}`,
		`{"type":"doc","version":1,"content":[]} {}`,
		`[1,2]`,
	} {
		f.Add([]byte(s))
	}
	ref := general(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		agree(t, ref, b)
	})
}

// TestCompileRefusesUnknownKeywords: a schema needing more than the
// validator implements fails to load instead of being checked loosely.
func TestCompileRefusesUnknownKeywords(t *testing.T) {
	for _, s := range []string{
		`{"$ref":"#/definitions/a","definitions":{"a":{"type":"string","format":"uri"}}}`,
		`{"$ref":"#/definitions/a","definitions":{"a":{"oneOf":[{"type":"string"}]}}}`,
		`{"$ref":"#/definitions/missing","definitions":{}}`,
		`{"$ref":"#/definitions/a","definitions":{"a":{"additionalProperties":{"type":"string"}}}}`,
		`{"$ref":"#/definitions/a","definitions":{"a":{"minItems":-` + strconv.Itoa(1) + `}}}`,
	} {
		if _, err := compile([]byte(s)); err == nil {
			t.Errorf("compiled %s", s)
		}
	}
	if _, err := compile(schemaJSON); err != nil {
		t.Fatalf("the embedded schema: %v", err)
	}
}
