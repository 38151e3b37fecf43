package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ticket-mate/tm/internal/config"
)

func TestParseDotenv(t *testing.T) {
	src := "\xef\xbb\xbf# ticket-mate\r\n" +
		"ATLASSIAN_BASE_URL=https://acme.atlassian.net   # the site\r\n" +
		"\n" +
		"export ATLASSIAN_EMAIL = me@example.com\n" +
		"\tSINGLE='literal \\n $HOME # not a comment'\n" +
		"DOUBLE=\"tab\\there \\\"quoted\\\" \\\\ \\$ C:\\Users\"  # comment\n" +
		"HASH=abc#def\n" +
		"LEADING_HASH=#abc\n" +
		"EMPTY=\n" +
		"EMPTY_COMMENT= # nothing\n" +
		"MULTI=\"line one\n" +
		"line two\"\n" +
		"AFTER_MULTI=yes\n" +
		"dotted.name=1\n" +
		"exported=plain" // no final newline
	got, err := config.ParseDotenv(".env", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.DotenvEntry{
		{Key: "ATLASSIAN_BASE_URL", Value: "https://acme.atlassian.net", Line: 2},
		{Key: "ATLASSIAN_EMAIL", Value: "me@example.com", Line: 4},
		{Key: "SINGLE", Value: `literal \n $HOME # not a comment`, Line: 5},
		{Key: "DOUBLE", Value: "tab\there \"quoted\" \\ $ C:\\Users", Line: 6},
		{Key: "HASH", Value: "abc#def", Line: 7},
		{Key: "LEADING_HASH", Value: "#abc", Line: 8},
		{Key: "EMPTY", Value: "", Line: 9},
		{Key: "EMPTY_COMMENT", Value: "", Line: 10},
		{Key: "MULTI", Value: "line one\nline two", Line: 11},
		{Key: "AFTER_MULTI", Value: "yes", Line: 13},
		{Key: "dotted.name", Value: "1", Line: 14},
		{Key: "exported", Value: "plain", Line: 15},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// quoteDotenv writes a value so that ParseDotenv reads it back unchanged.
func quoteDotenv(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(v) + `"`
}

func formatDotenv(entries []config.DotenvEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s=%s\n", e.Key, quoteDotenv(e.Value))
	}
	return b.String()
}

// FuzzDotenv checks that the parser never panics, that every error names
// the file and a line and column inside the input, and that what it reads
// survives being written back out and read again.
func FuzzDotenv(f *testing.F) {
	for _, seed := range []string{
		"",
		"A=1\nB='2'\nC=\"3\"\n",
		"export ATLASSIAN_API_KEY=\"ATATT3x\\nabc\" # c\n",
		"# only a comment",
		"A=\"unterminated\nB=2",
		"A='x' y",
		"=novalue",
		"KEY: value",
		"K=\"\\\\\\\"\"",
		"A=\r\nB=\"x\r\ny\"\r\n",
		"export\tA=1",
		"exportA=1",
		"A = spaced value  \t",
		"\xef\xbb\xbfA=bom",
		"A=\"\\",
		"A=\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := config.ParseDotenv("fuzz.env", data)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *config.FileError", err, err)
			}
			if fe.File != "fuzz.env" || fe.Line < 1 || fe.Line > lines || fe.Col < 1 {
				t.Fatalf("error position %s:%d:%d outside the input of %d lines", fe.File, fe.Line, fe.Col, lines)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("fuzz.env:%d:%d: ", fe.Line, fe.Col)) {
				t.Fatalf("error %q does not start with file:line:column", err)
			}
			return
		}
		for i, e := range entries {
			if e.Key == "" || e.Line < 1 || e.Line > lines || (i > 0 && e.Line <= entries[i-1].Line) {
				t.Fatalf("entry %d %+v: empty key or line out of order (input has %d lines)", i, e, lines)
			}
		}
		again, err := config.ParseDotenv("again.env", []byte(formatDotenv(entries)))
		if err != nil {
			t.Fatalf("re-reading what was read: %v", err)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip gave %d entries, want %d", len(again), len(entries))
		}
		for i := range entries {
			if again[i].Key != entries[i].Key || again[i].Value != entries[i].Value {
				t.Fatalf("round trip changed entry %d: %q=%q became %q=%q", i, entries[i].Key, entries[i].Value, again[i].Key, again[i].Value)
			}
		}
	})
}

// FuzzJSONConfig checks that the JSON loader never panics, that every error
// points inside the file and starts with file:line:column (or names the
// whole file), and that accepted values survive a round trip.
func FuzzJSONConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"projectKey": "SPACE2", "baseUrl": "https://a.atlassian.net"}`,
		`{"useCloudApi": true, "debug": 0, "oauthScopes": ["a", "b"]}`,
		`{"oauthScopes": "a b", "cloudId": null}`,
		`{"projectkey": "x"}`,
		`{"projectKey": 1}`,
		`{"projectKey": "A", "projectKey": "B"}`,
		"{\n  \"email\" \"x\"\n}",
		`[1]`,
		`{"a":`,
		`{} {}`,
		``,
		`{"apiKey": "\u00e9\ud83d\ude00"}`,
		"{\"email\": \"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := config.ParseJSONConfig("fuzz.json", data)
		if err != nil {
			var fe *config.FileError
			if !errors.As(err, &fe) || fe.File != "fuzz.json" {
				t.Fatalf("error %T %v is not a *config.FileError for fuzz.json", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			if fe.Line > lines || fe.Line < 0 || (fe.Line > 0 && fe.Col < 1) {
				t.Fatalf("error position %d:%d outside the input of %d lines", fe.Line, fe.Col, lines)
			}
			if fe.Line > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("fuzz.json:%d:%d: ", fe.Line, fe.Col)) {
				t.Fatalf("error %q does not start with file:line:column", err)
			}
			return
		}
		var b strings.Builder
		b.WriteString("{")
		for i, v := range values {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "%q: %s", v.Key, jsonString(v.Raw))
		}
		b.WriteString("}")
		again, err := config.ParseJSONConfig("again.json", []byte(b.String()))
		if err != nil {
			t.Fatalf("re-reading %s: %v", b.String(), err)
		}
		if len(again) != len(values) {
			t.Fatalf("round trip gave %d values, want %d", len(again), len(values))
		}
		for i := range values {
			if again[i].Key != values[i].Key || again[i].Raw != values[i].Raw {
				t.Fatalf("round trip changed %q=%q into %q=%q", values[i].Key, values[i].Raw, again[i].Key, again[i].Raw)
			}
		}
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
