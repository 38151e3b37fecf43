package ticket

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRows: whatever the file, parsing ends with rows or a *tm.Error,
// never a panic; every row has a line within the file and an identity,
// and identical rows get distinct identities; a CSV row's identity is the
// hash of its record as json.Marshal writes it, so that results files of
// earlier runs still match.
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
		if !jsonl {
			checkIdentities(t, data, rows)
		}
	})
}

// checkIdentities reads the CSV data again with encoding/csv and checks
// each row's identity against its record.
func checkIdentities(t *testing.T, data []byte, rows []Input) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, _ := r.Read()
	seen := map[string]int{}
	for i := 0; ; {
		rec, err := r.Read()
		if err != nil {
			if i != len(rows) {
				t.Fatalf("%d rows, %d records", len(rows), i)
			}
			return
		}
		empty := true
		for j, v := range rec {
			if j < len(header) && strings.TrimSpace(strings.TrimPrefix(header[j], "\ufeff")) != "" {
				empty = empty && strings.TrimSpace(v) == ""
			}
		}
		if empty {
			continue
		}
		b, _ := json.Marshal(rec)
		h := sha256.Sum256(b)
		id := hex.EncodeToString(h[:8])
		seen[id]++
		if want := id + "#" + strconv.Itoa(seen[id]); i >= len(rows) || rows[i].ID != want {
			t.Fatalf("record %d %q: identity is not %s", i, rec, want)
		}
		i++
	}
}
