package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// JSONValue is one key of a JSON config file, as a raw string the setting's
// parser reads like any other source (booleans as "true"/"false", lists
// space-separated).
type JSONValue struct {
	Key  string // the camelCase key
	Raw  string
	Line int // of the value
	Col  int
}

// ParseJSONConfig reads a JSON config file: one object of camelCase keys
// ({"projectKey": "SPACE2", "baseUrl": "…"}). Unknown or repeated keys,
// values of the wrong JSON type and invalid JSON are *FileError with line and
// column; an unknown key's error names the closest valid key. null means not
// set. The result is in file order.
//
// It walks tokens rather than unmarshalling into a struct because a struct
// with DisallowUnknownFields reports neither the position of the unknown key
// nor of a wrongly typed value.
func ParseJSONConfig(name string, data []byte) ([]JSONValue, error) {
	p := jsonParser{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	tok, err := p.dec.Token()
	if err == io.EOF {
		return nil, &FileError{File: name, Msg: `the file is empty; it must hold a JSON object such as {"projectKey": "SPACE2"}`}
	}
	if err != nil {
		return nil, p.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		line, col := p.pos(p.start(0))
		return nil, &FileError{File: name, Line: line, Col: col, Msg: `the file must hold one JSON object, such as {"projectKey": "SPACE2"}`}
	}
	var out []JSONValue
	seen := map[string]int{}
	for p.dec.More() {
		keyOff := p.start(p.dec.InputOffset())
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(err)
		}
		key, _ := tok.(string)
		keyLine, keyCol := p.pos(keyOff)
		valOff := p.start(p.dec.InputOffset())
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return nil, p.syntax(err)
		}
		s := settingByJSON(key)
		if s == nil {
			return nil, &FileError{File: name, Line: keyLine, Col: keyCol,
				Msg: fmt.Sprintf("unknown key %q; did you mean %q?", key, closestJSONKey(key))}
		}
		if first, dup := seen[key]; dup {
			return nil, &FileError{File: name, Line: keyLine, Col: keyCol,
				Msg: fmt.Sprintf("key %q appears twice (first on line %d); keep one", key, first)}
		}
		seen[key] = keyLine
		v, set, err := jsonRaw(s, raw)
		if err != nil {
			line, col := p.pos(valOff)
			return nil, &FileError{File: name, Line: line, Col: col, Msg: key + ": " + err.Error()}
		}
		if set {
			line, col := p.pos(valOff)
			out = append(out, JSONValue{Key: key, Raw: v, Line: line, Col: col})
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return nil, p.syntax(err)
	}
	if _, err := p.dec.Token(); err != io.EOF {
		line, col := p.pos(p.start(p.dec.InputOffset()))
		return nil, &FileError{File: name, Line: line, Col: col, Msg: "invalid JSON: unexpected content after the closing }"}
	}
	return out, nil
}

type jsonParser struct {
	name string
	data []byte
	dec  *json.Decoder
}

// start skips blanks and the separators , and : from off to where the next
// token begins.
func (p *jsonParser) start(off int64) int {
	i := int(off)
	for i < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[i]) >= 0 {
		i++
	}
	return i
}

// pos turns a byte offset into a 1-based line and column (in characters).
func (p *jsonParser) pos(off int) (line, col int) {
	off = min(max(off, 0), len(p.data))
	before := p.data[:off]
	nl := bytes.LastIndexByte(before, '\n')
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[nl+1:]) + 1
}

// syntax turns a decoder error into a *FileError pointing at the offending byte.
func (p *jsonParser) syntax(err error) error {
	off := len(p.data)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset is just past the offending byte, or before the blanks
		// that precede it: point at the byte itself.
		off = int(se.Offset) - 1
		for off >= 0 && off < len(p.data) && strings.IndexByte(" \t\r\n", p.data[off]) >= 0 {
			off++
		}
	}
	line, col := p.pos(off)
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "the file ends in the middle of a value (a missing } or \"?)"
	}
	return &FileError{File: p.name, Line: line, Col: col, Msg: "invalid JSON: " + msg}
}

// jsonRaw turns a JSON value into the raw string form the setting parses;
// set is false for null.
func jsonRaw(s *setting, raw json.RawMessage) (v string, set bool, err error) {
	if string(raw) == "null" {
		return "", false, nil
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, true, nil
	}
	switch s.kind {
	case kindBool:
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return fmt.Sprint(b), true, nil
		}
		if raw[0] != '{' && raw[0] != '[' && raw[0] != '"' {
			return string(raw), true, nil // a number: ParseBool accepts 1 and 0
		}
		return "", false, errors.New("must be true or false")
	case kindList:
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			return strings.Join(list, " "), true, nil
		}
		return "", false, errors.New(`must be a list of strings, such as ["read:jira-work", "offline_access"]`)
	}
	return "", false, fmt.Errorf("must be a string, not %s", jsonType(raw))
}

func jsonType(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}
