package jql

import "strings"

// Eq is field = value, the value quoted unless it is a safe bare word.
func Eq(field, value string) string {
	return Field(field) + " = " + QuoteIfNeeded(value)
}

// In is field in (v1, v2, …). With no values it returns "", which And and
// Or skip: an optional filter left empty constrains nothing.
func In(field string, values ...string) string {
	if len(values) == 0 {
		return ""
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = QuoteIfNeeded(v)
	}
	return Field(field) + " in (" + strings.Join(quoted, ", ") + ")"
}

// Contains is a text search, field ~ "text", matching text literally: the
// characters Jira's text search reads as query syntax (+ - & | ! ( ) { } [ ]
// ^ ~ * ? \ : ") are escaped, and the operators AND, OR and NOT are written
// in lower case, which the search reads as plain words (Jira folds case when
// indexing, so nothing is lost). Empty text returns "", which And skips.
func Contains(field, text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	return Field(field) + " ~ " + Quote(escapeTextSearch(text))
}

func escapeTextSearch(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	for _, w := range strings.SplitAfter(s, " ") {
		word := strings.TrimRight(w, " ")
		if word == "AND" || word == "OR" || word == "NOT" {
			w = strings.ToLower(word) + w[len(word):]
		}
		for _, r := range w {
			if strings.ContainsRune(`+-&|!(){}[]^~*?\:"`, r) {
				sb.WriteByte('\\')
			}
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// And joins clauses with AND, skipping empty ones; a clause with a top-level
// OR is parenthesised, because AND binds tighter.
func And(clauses ...string) string {
	return join(" AND ", clauses, true)
}

// Or joins clauses with OR, skipping empty ones.
func Or(clauses ...string) string {
	return join(" OR ", clauses, false)
}

// Not negates a clause.
func Not(clause string) string {
	if clause == "" {
		return ""
	}
	return "NOT (" + clause + ")"
}

func join(op string, clauses []string, wrapOr bool) string {
	var parts []string
	for _, c := range clauses {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if wrapOr && hasTopLevelOr(c) {
			c = "(" + c + ")"
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, op)
}

// hasTopLevelOr reports whether clause contains OR (or ||) outside quotes
// and parentheses.
func hasTopLevelOr(clause string) bool {
	depth := 0
	for i := 0; i < len(clause); i++ {
		switch c := clause[i]; c {
		case '"', '\'':
			for i++; i < len(clause) && clause[i] != c; i++ {
				if clause[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 && i+1 < len(clause) && clause[i+1] == '|' {
				return true
			}
		case 'o', 'O':
			if depth == 0 && i+1 < len(clause) && (clause[i+1] == 'r' || clause[i+1] == 'R') &&
				(i == 0 || !isWordByte(clause[i-1])) && (i+2 == len(clause) || !isWordByte(clause[i+2])) {
				return true
			}
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= 0x80 ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// OrderBy returns "ORDER BY k1, k2 DESC" for keys written as "field" or
// "field ASC"/"field DESC"; field names are quoted as Field does. With no
// keys it returns "". Jira accepts at most seven keys.
func OrderBy(keys ...string) string {
	var parts []string
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		dir := ""
		upper := strings.ToUpper(k)
		for _, d := range []string{" ASC", " DESC"} {
			if strings.HasSuffix(upper, d) {
				dir = d
				k = strings.TrimSpace(k[:len(k)-len(d)])
				break
			}
		}
		parts = append(parts, Field(k)+dir)
	}
	if len(parts) == 0 {
		return ""
	}
	return "ORDER BY " + strings.Join(parts, ", ")
}

// Query puts a where clause and an ORDER BY together; either may be "".
func Query(where, orderBy string) string {
	return strings.TrimSpace(strings.TrimSpace(where) + " " + strings.TrimSpace(orderBy))
}
