package adfschema_test

import (
	"encoding/json"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/adfschema"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{"paragraph", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}`, true},
		{"empty doc", `{"type":"doc","version":1,"content":[]}`, true},
		{"strong and em", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"strong"},{"type":"em"}]}]}]}`, true},
		{"text under doc", `{"type":"doc","version":1,"content":[{"type":"text","text":"hi"}]}`, false},
		{"unknown node", `{"type":"doc","version":1,"content":[{"type":"marquee","content":[]}]}`, false},
		{"heading level 9", `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":9},"content":[{"type":"text","text":"h"}]}]}`, false},
		{"strong with code", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"strong"},{"type":"code"}]}]}]}`, false},
		{"version 2", `{"type":"doc","version":2,"content":[]}`, false},
		{"not json", `{"type":`, false},
	} {
		err := adfschema.Check([]byte(tc.doc))
		if (err == nil) != tc.ok {
			t.Errorf("%s: Check = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// FuzzCheck: Check never panics, and whatever it accepts is a doc.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"type":"doc","version":1,"content":[]}`))
	f.Add([]byte(`{"type":"doc","version":1,"content":[{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph"}]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var root struct{ Type string }
		if adfschema.Check(b) == nil && (json.Unmarshal(b, &root) != nil || root.Type != "doc") {
			t.Fatalf("accepted something that is not a doc node: %s", b)
		}
	})
}
