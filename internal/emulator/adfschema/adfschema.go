// Package adfschema checks Atlassian Document Format documents against
// Atlassian's published JSON Schema (full.json from @atlaskit/adf-schema,
// Apache-2.0, see LICENSE), the way Jira Cloud refuses a rich-text value
// that breaks it.
//
// It carries its own draft-04 validator for exactly the keywords full.json
// uses, rather than a general JSON Schema library: the general ones compile
// their meta-schemas when the process starts, which cost every tm command
// tens of milliseconds although only the sandbox checks ADF. Compiling
// refuses any keyword the validator does not implement, so a newer schema
// that needs more fails loudly instead of being checked loosely; a test
// holds the verdicts to a general draft-04 validator's.
//
// The schema is compiled once, on first use.
package adfschema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed full.json
var schemaJSON []byte

var (
	once    sync.Once
	root    *node
	errLoad error
)

func schema() (*node, error) {
	once.Do(func() { root, errLoad = compile(schemaJSON) })
	return root, errLoad
}

// Check reports why doc is not a valid ADF document, or nil when it is.
func Check(doc []byte) error {
	sch, err := schema()
	if err != nil {
		return err
	}
	v, err := decode(doc)
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if f := sch.check(v, ""); f != nil {
		return f
	}
	return nil
}

// decode reads one JSON value, numbers kept exact.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the document")
	}
	return v, nil
}

// node is one compiled schema. nil limits are absent.
type node struct {
	ref                           string
	target                        *node
	types                         []string
	props                         map[string]*node
	closed                        bool // additionalProperties: false
	required                      []string
	enum                          []any
	items                         *node
	tuple                         []*node
	anyOf                         []*node
	allOf                         []*node
	minItems, maxItems, minLength *int
	minimum, maximum              *float64
	pattern                       *regexp.Regexp
}

// compile builds the tree from the schema's JSON and resolves its refs.
func compile(b []byte) (*node, error) {
	v, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("adfschema: read the embedded schema: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("adfschema: the schema is not an object")
	}
	c := compiler{defs: map[string]*node{}}
	rawDefs, _ := doc["definitions"].(map[string]any)
	for name := range rawDefs {
		c.defs[name] = &node{}
	}
	for name, raw := range rawDefs {
		if err := c.fill(c.defs[name], raw, "#/definitions/"+name); err != nil {
			return nil, err
		}
	}
	top := map[string]any{}
	for k, v := range doc {
		switch k {
		case "definitions", "$schema", "description":
		default:
			top[k] = v
		}
	}
	r := &node{}
	if err := c.fill(r, top, "#"); err != nil {
		return nil, err
	}
	return r, nil
}

type compiler struct{ defs map[string]*node }

func (c *compiler) fill(n *node, raw any, at string) error {
	m, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("adfschema: %s is not a schema object", at)
	}
	if ref, ok := m["$ref"].(string); ok {
		// Draft-04: a $ref replaces its siblings.
		name, found := strings.CutPrefix(ref, "#/definitions/")
		if !found || c.defs[name] == nil {
			return fmt.Errorf("adfschema: %s: unsupported $ref %q", at, ref)
		}
		n.ref, n.target = ref, c.defs[name]
		return nil
	}
	sub := func(raw any, where string) (*node, error) {
		s := &node{}
		return s, c.fill(s, raw, at+"/"+where)
	}
	list := func(raw any, where string) ([]*node, error) {
		xs, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("adfschema: %s/%s is not a list", at, where)
		}
		out := make([]*node, len(xs))
		for i, x := range xs {
			s, err := sub(x, where+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	count := func(raw any, key string) (*int, error) {
		num, ok := raw.(json.Number)
		i, err := strconv.Atoi(string(num))
		if !ok || err != nil || i < 0 {
			return nil, fmt.Errorf("adfschema: %s/%s is not a count", at, key)
		}
		return &i, nil
	}
	bound := func(raw any, key string) (*float64, error) {
		num, ok := raw.(json.Number)
		f, err := num.Float64()
		if !ok || err != nil {
			return nil, fmt.Errorf("adfschema: %s/%s is not a number", at, key)
		}
		return &f, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var err error
	for _, k := range keys {
		v := m[k]
		switch k {
		case "description":
		case "type":
			switch t := v.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, x := range t {
					s, ok := x.(string)
					if !ok {
						return fmt.Errorf("adfschema: %s/type lists a non-string", at)
					}
					n.types = append(n.types, s)
				}
			default:
				return fmt.Errorf("adfschema: %s/type is neither a name nor a list", at)
			}
			for _, t := range n.types {
				switch t {
				case "object", "array", "string", "number", "integer", "boolean", "null":
				default:
					return fmt.Errorf("adfschema: %s/type: unknown type %q", at, t)
				}
			}
		case "properties":
			ps, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("adfschema: %s/properties is not an object", at)
			}
			n.props = make(map[string]*node, len(ps))
			for name, p := range ps {
				if n.props[name], err = sub(p, "properties/"+name); err != nil {
					return err
				}
			}
		case "additionalProperties":
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("adfschema: %s/additionalProperties: only true or false is supported", at)
			}
			n.closed = !b
		case "required":
			xs, ok := v.([]any)
			if !ok {
				return fmt.Errorf("adfschema: %s/required is not a list", at)
			}
			for _, x := range xs {
				s, ok := x.(string)
				if !ok {
					return fmt.Errorf("adfschema: %s/required lists a non-string", at)
				}
				n.required = append(n.required, s)
			}
		case "enum":
			xs, ok := v.([]any)
			if !ok || len(xs) == 0 {
				return fmt.Errorf("adfschema: %s/enum is not a non-empty list", at)
			}
			n.enum = xs
		case "items":
			if _, isList := v.([]any); isList {
				n.tuple, err = list(v, "items")
			} else {
				n.items, err = sub(v, "items")
			}
		case "anyOf":
			n.anyOf, err = list(v, "anyOf")
		case "allOf":
			n.allOf, err = list(v, "allOf")
		case "minItems":
			n.minItems, err = count(v, k)
		case "maxItems":
			n.maxItems, err = count(v, k)
		case "minLength":
			n.minLength, err = count(v, k)
		case "minimum":
			n.minimum, err = bound(v, k)
		case "maximum":
			n.maximum, err = bound(v, k)
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("adfschema: %s/pattern is not a string", at)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return fmt.Errorf("adfschema: %s/pattern: %w", at, err)
			}
		default:
			return fmt.Errorf("adfschema: %s: keyword %q is not supported", at, k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Failure says where a document breaks the schema and how.
type Failure struct {
	Path   string // JSON pointer into the document ("" is the whole document)
	Reason string
}

func (f *Failure) Error() string {
	at := f.Path
	if at == "" {
		at = "/"
	}
	return "at " + at + ": " + f.Reason
}

func fail(path, format string, args ...any) *Failure {
	return &Failure{Path: path, Reason: fmt.Sprintf(format, args...)}
}

func (n *node) check(v any, path string) *Failure {
	if n.target != nil {
		return n.target.check(v, path)
	}
	if len(n.types) > 0 && !typeMatches(n.types, v) {
		return fail(path, "%s where %s is expected", typeOf(v), strings.Join(n.types, " or "))
	}
	if n.enum != nil && !inEnum(n.enum, v) {
		return fail(path, "%s is not one of the allowed values", short(v))
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range n.required {
			if _, ok := x[r]; !ok {
				return fail(path, "%q is missing", r)
			}
		}
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p, ok := n.props[k]
			if !ok {
				if n.closed {
					return fail(path, "%q is not allowed here", k)
				}
				continue
			}
			if f := p.check(x[k], path+"/"+escape(k)); f != nil {
				return f
			}
		}
	case []any:
		if n.minItems != nil && len(x) < *n.minItems {
			return fail(path, "%d items; at least %d are needed", len(x), *n.minItems)
		}
		if n.maxItems != nil && len(x) > *n.maxItems {
			return fail(path, "%d items; at most %d are allowed", len(x), *n.maxItems)
		}
		for i, item := range x {
			s := n.items
			if n.tuple != nil {
				if i >= len(n.tuple) {
					break // draft-04: items past the tuple are unconstrained
				}
				s = n.tuple[i]
			}
			if s == nil {
				break
			}
			if f := s.check(item, path+"/"+strconv.Itoa(i)); f != nil {
				return f
			}
		}
	case string:
		if n.minLength != nil && utf8.RuneCountInString(x) < *n.minLength {
			return fail(path, "%d characters; at least %d are needed", utf8.RuneCountInString(x), *n.minLength)
		}
		if n.pattern != nil && !n.pattern.MatchString(x) {
			return fail(path, "%s does not match %s", short(x), n.pattern)
		}
	case json.Number:
		f, _ := x.Float64()
		if n.minimum != nil && f < *n.minimum {
			return fail(path, "%s is below the minimum %v", x, *n.minimum)
		}
		if n.maximum != nil && f > *n.maximum {
			return fail(path, "%s is above the maximum %v", x, *n.maximum)
		}
	}
	for _, s := range n.allOf {
		if f := s.check(v, path); f != nil {
			return f
		}
	}
	if len(n.anyOf) > 0 {
		// Report the alternative that got furthest into the value: for a
		// node of a known type, the reason its own definition refuses it.
		var best *Failure
		for _, s := range n.anyOf {
			f := s.check(v, path)
			if f == nil {
				return nil
			}
			if best == nil || len(f.Path) > len(best.Path) {
				best = f
			}
		}
		if best.Path == path {
			return fail(path, "%s matches none of the %d node types allowed here", short(v), len(n.anyOf))
		}
		return best
	}
	return nil
}

func typeMatches(types []string, v any) bool {
	for _, t := range types {
		switch x := v.(type) {
		case map[string]any:
			if t == "object" {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case nil:
			if t == "null" {
				return true
			}
		case json.Number:
			if t == "number" {
				return true
			}
			if t == "integer" {
				f, err := x.Float64()
				if err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
					return true
				}
			}
		}
	}
	return false
}

func typeOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return "a number"
	}
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if equal(e, v) {
			return true
		}
	}
	return false
}

// equal is JSON equality: numbers by value, not by spelling.
func equal(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, ex := x.Float64()
		fy, ey := y.Float64()
		return ex == nil && ey == nil && fx == fy
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// short quotes a value for a message, cut to a readable length.
func short(v any) string {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) > 40 {
			x = string([]rune(x)[:40]) + "…"
		}
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	case map[string]any:
		if t, ok := x["type"].(string); ok {
			return "node " + short(t)
		}
	}
	return typeOf(v)
}

// escape makes a property name a JSON pointer token (RFC 6901).
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
