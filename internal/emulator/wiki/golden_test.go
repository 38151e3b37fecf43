package wiki_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/adfschema"
	"github.com/ticket-mate/tm/internal/emulator/wiki"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the .wiki files (review the diff!)")

// Each testdata/golden/NAME.wiki pairs with NAME.json: ToADF of the one is
// the other, and FromADF of the other is the one.
func TestGolden(t *testing.T) {
	wikis, err := filepath.Glob("testdata/golden/*.wiki")
	if err != nil || len(wikis) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, wf := range wikis {
		name := strings.TrimSuffix(filepath.Base(wf), ".wiki")
		t.Run(name, func(t *testing.T) {
			w := read(t, wf)
			jf := strings.TrimSuffix(wf, ".wiki") + ".json"
			got, err := wiki.ToADF(w)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, got, "", "  "); err != nil {
					t.Fatal(err)
				}
				pretty.WriteByte('\n')
				if err := os.WriteFile(jf, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := read(t, jf)
			// What REST v2 stores must be a document REST v3 would accept.
			if err := adfschema.Check(got); err != nil {
				t.Errorf("ToADF(%s) breaks the ADF schema: %v", wf, err)
			}
			if !sameJSON(t, got, []byte(want)) {
				t.Errorf("ToADF(%s)\n got: %s\nwant: %s", wf, got, compact(t, want))
			}
			back, err := wiki.FromADF([]byte(want))
			if err != nil {
				t.Fatal(err)
			}
			if back != w {
				t.Errorf("FromADF(%s)\n got: %q\nwant: %q", jf, back, w)
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func compact(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
