package jira

import (
	"encoding/json"
	"slices"
)

// AppendJSON appends v as json.Marshal writes it. The values a create is
// made of — strings, string lists, and maps of them with string keys —
// are written without reflection; anything else, and any string with a
// byte json.Marshal escapes, is written by json.Marshal itself.
func AppendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case []string:
		return appendArray(b, v, func(b []byte, s string) ([]byte, error) { return appendString(b, s), nil })
	case map[string]string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, k), ':')
			b = appendString(b, v[k])
		}
		return append(b, '}'), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendObject(b, v, sortedKeys(v))
	case []map[string]string:
		return appendArray(b, v, func(b []byte, m map[string]string) ([]byte, error) { return AppendJSON(b, m) })
	}
	m, err := json.Marshal(v)
	return append(b, m...), err
}

// appendArray appends list as a JSON array (null when nil), each element
// appended by elem.
func appendArray[T any](b []byte, list []T, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, x := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = elem(b, x); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendObject appends m's members in the order of keys.
func appendObject(b []byte, m map[string]any, keys []string) ([]byte, error) {
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		var err error
		if b, err = AppendJSON(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // json.Marshal's order
	return keys
}

// appendString appends s quoted as json.Marshal quotes it: printable ASCII
// other than the quote, the backslash and the HTML specials stands as it
// is; a string with anything else is quoted by json.Marshal.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
