package jql_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ticket-mate/tm/internal/jql"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, `""`},
		{`SPACE2`, `"SPACE2"`},
		{`say "hi"`, `"say \"hi\""`},
		{`C:\temp\`, `"C:\\temp\\"`},
		{`it's`, `"it's"`},
		{"two\nlines\r\n\tindented", `"two\nlines\r\n\tindented"`},
		{"bell\a nul\x00 del\x7f c1\u0085", `"bell\u0007 nul\u0000 del\u007f c1\u0085"`},
		{"non-char \ufdd0 \uffff", `"non-char \ufdd0 \uffff"`},
		{`日本語 🙂 ü`, `"日本語 🙂 ü"`},
		{`AND`, `"AND"`},
		{"bad \xff byte", "\"bad \uFFFD byte\""},
	}
	for _, tt := range tests {
		if got := jql.Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestQuoteIfNeeded(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SPACE2`, `SPACE2`},
		{`SPACE2-17`, `SPACE2-17`},
		{`Done`, `Done`},
		{`snake_case`, `snake_case`},
		{`In Progress`, `"In Progress"`},
		{``, `""`},
		{`AND`, `"AND"`},
		{`or`, `"or"`},
		{`empty`, `"empty"`},
		{`NULL`, `"NULL"`},
		{`Was`, `"Was"`},
		{`10000`, `"10000"`}, // bare digits would be read as an id
		{`-1d`, `"-1d"`},
		{`v1.2`, `"v1.2"`},
		{`a,b`, `"a,b"`},
		{`über`, `"über"`},
		{`x"y`, `"x\"y"`},
		{`(x)`, `"(x)"`},
		{`a=b`, `"a=b"`},
	}
	for _, tt := range tests {
		if got := jql.QuoteIfNeeded(tt.in); got != tt.want {
			t.Errorf("QuoteIfNeeded(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestField(t *testing.T) {
	tests := []struct{ in, want string }{
		{`summary`, `summary`},
		{`customfield_10011`, `customfield_10011`},
		{`cf[10011]`, `cf[10011]`},
		{`CF[10011]`, `CF[10011]`},
		{`cf[]`, `"cf[]"`},
		{`cf[+1]`, `"cf[+1]"`},
		{`cf[1x]`, `"cf[1x]"`},
		{`Story Points`, `"Story Points"`},
		{`Epic "Link"`, `"Epic \"Link\""`},
		{`order`, `"order"`},
	}
	for _, tt := range tests {
		if got := jql.Field(tt.in); got != tt.want {
			t.Errorf("Field(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct{ in, want string }{
		{`""`, ``},
		{`"a\"b"`, `a"b`},
		{`'a\'b'`, `a'b`},
		{`'say "hi"'`, `say "hi"`},
		{`"it's"`, `it's`},
		{`"a\\b"`, `a\b`},
		{`"\n\r\t\ "`, "\n\r\t "},
		{`"\u0041\u00fc"`, "Aü"},
		{`"\uD83D\uDE42"`, "🙂"},
		{`SPACE2`, `SPACE2`},
		{"\"raw\nnewline\"", "raw\nnewline"},
	}
	for _, tt := range tests {
		got, err := jql.Unquote(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUnquoteErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, `empty literal; an empty string is written ""`},
		{`"open`, `"\"open" has no closing "`},
		{`"`, `"\"" has no closing "`},
		{`"a"b"`, `unescaped " at offset 2 of "\"a\"b\""; write \"`},
		{`"a\qb"`, `invalid escape \q at offset 2`},
		{`"a\"`, `ends inside an escape; write \\ for a backslash`},
		{`"a\`, `has no closing "`},
		{`"\u12"`, `invalid \u escape (want four hex digits) at offset 1`},
		{`"\uzzzz"`, `invalid \u escape`},
		{`"\ud83d"`, `unpaired surrogate \ud83d`},
		{`"\ud83d\u0041"`, `unpaired surrogate \ud83d`},
		{`In Progress`, `"In Progress" is neither a quoted string nor a bare word; quote it`},
		{`and`, `"and" is neither a quoted string nor a bare word`},
	}
	for _, tt := range tests {
		got, err := jql.Unquote(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unquote(%s) = %q, %v; want an error containing %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUnquoteTrailingBackslash(t *testing.T) {
	// `"a\\"` is a complete literal holding a\ ; `"a\"` never closes.
	if got, err := jql.Unquote(`"a\\"`); err != nil || got != `a\` {
		t.Errorf(`Unquote("a\\") = %q, %v`, got, err)
	}
}

func TestBuilder(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"eq bare", jql.Eq("project", "SPACE2"), `project = SPACE2`},
		{"eq quoted", jql.Eq("status", "In Progress"), `status = "In Progress"`},
		{"eq reserved value", jql.Eq("labels", "empty"), `labels = "empty"`},
		{"eq custom field name", jql.Eq("Story Points", "5"), `"Story Points" = "5"`},
		{"in", jql.In("status", "To Do", "Done", `say "x"`), `status in ("To Do", Done, "say \"x\"")`},
		{"in none", jql.In("status"), ``},
		{"contains", jql.Contains("summary", `login fails [500] for a+b@x.io`), `summary ~ "login fails \\[500\\] for a\\+b@x.io"`},
		{"contains specials", jql.Contains("text", `&|!(){}^~*?\:"-`), `text ~ "\\&\\|\\!\\(\\)\\{\\}\\^\\~\\*\\?\\\\\\:\\\"\\-"`},
		{"contains operators", jql.Contains("summary", "cats AND dogs OR NOT mice ANDROID"), `summary ~ "cats and dogs or not mice ANDROID"`},
		{"contains empty", jql.Contains("summary", "  "), ``},
		{"and", jql.And(jql.Eq("project", "SPACE2"), "", jql.In("status")), `project = SPACE2`},
		{"and wraps or", jql.And("a = 1 OR b = 2", "c = 3"), `(a = 1 OR b = 2) AND c = 3`},
		{"and wraps ||", jql.And("a = 1 || b = 2", "c = 3"), `(a = 1 || b = 2) AND c = 3`},
		{"and keeps parenthesised or", jql.And("(a = 1 or b = 2)", "c = 3"), `(a = 1 or b = 2) AND c = 3`},
		{"and ignores or in strings", jql.And(`summary ~ "this OR that"`, `labels = 'x or y'`), `summary ~ "this OR that" AND labels = 'x or y'`},
		{"and ignores or inside words", jql.And("priority = Major", "component = error-OR", "x = ORbit"), `priority = Major AND component = error-OR AND x = ORbit`},
		{"or", jql.Or("a = 1", "", "b = 2"), `a = 1 OR b = 2`},
		{"not", jql.Not(jql.Eq("status", "Done")), `NOT (status = Done)`},
		{"not empty", jql.Not(""), ``},
		{"order by", jql.OrderBy("created DESC", "Story Points asc", "key"), `ORDER BY created DESC, "Story Points" ASC, key`},
		{"order by none", jql.OrderBy(), ``},
		{"query", jql.Query(jql.Eq("project", "SPACE2"), jql.OrderBy("updated DESC")), `project = SPACE2 ORDER BY updated DESC`},
		{"query without where", jql.Query("", jql.OrderBy("key")), `ORDER BY key`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestContainsRoundTrip checks the two layers of escaping separately: the
// JQL literal decodes to the text-search query, and removing the query's
// backslash escapes gives the text back.
func TestContainsRoundTrip(t *testing.T) {
	text := `a "quoted" [x] \path\ 50% (y) {z} +-&|!^~*?:`
	clause := jql.Contains("summary", text)
	lit := strings.TrimPrefix(clause, "summary ~ ")
	query, err := jql.Unquote(lit)
	if err != nil {
		t.Fatalf("Unquote(%s): %v", lit, err)
	}
	var sb strings.Builder
	for i := 0; i < len(query); i++ {
		if query[i] == '\\' {
			i++
		}
		sb.WriteByte(query[i])
	}
	if sb.String() != text {
		t.Errorf("text search query %q unescapes to %q, want %q", query, sb.String(), text)
	}
}

func TestIsReserved(t *testing.T) {
	for _, w := range []string{"and", "OR", "Empty", "null", "order", "was", "changed"} {
		if !jql.IsReserved(w) {
			t.Errorf("IsReserved(%q) = false", w)
		}
	}
	for _, w := range []string{"SPACE2", "Done", "android", ""} {
		if jql.IsReserved(w) {
			t.Errorf("IsReserved(%q) = true", w)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{
		"", "SPACE2", `"`, `\`, `\"`, `""`, `'`, "\n", "\r\n", "\t", "\x00", "\x7f", "\u0085",
		"\ufdd0", "\ufffe", "\uffff", "🙂", "日本語", "AND", "or", "empty", "null", `\u0041`,
		`a\\"b`, "Story Points", "cf[10011]", "\xff", "\xed\xa0\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := jql.Quote(s)
		if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
			t.Fatalf("Quote(%q) = %s: not delimited by double quotes", s, q)
		}
		// Inside the delimiters every quote is escaped, i.e. preceded by an
		// odd number of backslashes, and nothing is a raw control character.
		body := q[1 : len(q)-1]
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' {
				i++
				continue
			}
			if body[i] == '"' {
				t.Fatalf("Quote(%q) = %s: unescaped quote at %d", s, q, i+1)
			}
			if body[i] < 0x20 || body[i] == 0x7f {
				t.Fatalf("Quote(%q) = %s: raw control byte %#x", s, q, body[i])
			}
		}
		if !utf8.ValidString(q) {
			t.Fatalf("Quote(%q) = %q: invalid UTF-8", s, q)
		}
		got, err := jql.Unquote(q)
		if err != nil {
			t.Fatalf("Unquote(Quote(%q)) = %v", s, err)
		}
		// Invalid UTF-8 cannot round-trip; Quote writes each bad byte as U+FFFD.
		want := s
		if !utf8.ValidString(s) {
			want = byteWiseValid(s)
		}
		if got != want {
			t.Fatalf("Unquote(Quote(%q)) = %q", s, got)
		}
		if b := jql.QuoteIfNeeded(s); b != q {
			if back, err := jql.Unquote(b); err != nil || back != s {
				t.Fatalf("QuoteIfNeeded(%q) = %s, which reads back as %q, %v", s, b, back, err)
			}
		}
	})
}

func byteWiseValid(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		sb.WriteRune(r)
		i += n
	}
	return sb.String()
}
