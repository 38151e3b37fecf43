package ticket

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRows: whatever the file, parsing ends with rows or a *tm.Error,
// never a panic; every row has a line within the file and an identity,
// and identical rows get distinct identities.
func FuzzParseRows(f *testing.F) {
	for _, s := range []string{
		"summary,labels\nOne,a;b\nTwo,\n",
		"\ufeffSummary,Story points\n\"quoted, comma\",3\n",
		"summary\n\"unterminated\n",
		"labels\nx\n",
		`{"summary":"a","labels":["x","y"]}` + "\n\n" + `{"summary":"a","labels":["x","y"]}`,
		`{"summary":1,"n":null}` + "\nnot json\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		rows, err := ParseRows(data, jsonl)
		if err != nil {
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) && utf8.Valid(data) {
				t.Fatalf("error %q", msg)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		ids := map[string]bool{}
		for _, r := range rows {
			if r.Row.Line < 1 || r.Row.Line > lines {
				t.Fatalf("row at line %d of %d", r.Row.Line, lines)
			}
			if r.ID == "" || ids[r.ID] {
				t.Fatalf("identity %q repeats or is empty", r.ID)
			}
			ids[r.ID] = true
		}
	})
}
