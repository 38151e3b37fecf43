package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// What the sandbox sends is mostly the same JSON again and again: a
// project never changes once its site is built, and an issue only when it
// is written to. Listings cost a client's wait on a small machine, where
// the sandbox shares the cores with it, so the encoded JSON of projects
// and issues is kept and a page is assembled from those bytes.

// rawJSON is a value encoding/json has already encoded, as writeJSON does
// it (no HTML escaping). writeJSON copies it into a body as it is.
type rawJSON []byte

// MarshalJSON lets a rawJSON nested deeper than writeJSON looks still
// encode right (encoding/json then scans it once more).
func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// encodeRaw encodes v as writeJSON does, for keeping.
func encodeRaw(v any) (rawJSON, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return rawJSON(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// encodeBody is the body writeJSON sends for v: encoding/json's encoding,
// except that rawJSON values that are v, members of an object v, or
// elements of an array that is such a member, are copied in as they are
// rather than scanned again. Members are written in encoding/json's order
// (sorted keys) and everything else by encoding/json, so the bytes are
// those json.Marshal gives.
func encodeBody(v any) ([]byte, error) {
	if r, ok := v.(rawJSON); ok {
		return r, nil
	}
	if o, ok := v.(obj); ok {
		if size := rawSize(o); size > 0 {
			var buf bytes.Buffer
			err := assemble(&buf, o, size)
			return buf.Bytes(), err
		}
	}
	return encodeRaw(v)
}

// assemble writes o's body into buf; size is rawSize(o).
func assemble(buf *bytes.Buffer, o obj, size int) error {
	buf.Grow(size + 512) // the rest of a page is a few short members
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	put := func(x any) error {
		if r, ok := x.(rawJSON); ok {
			buf.Write(r)
			return nil
		}
		if err := enc.Encode(x); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		return nil
	}
	buf.WriteByte('{')
	for i, k := range sortedKeys(o) {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := put(k); err != nil {
			return err
		}
		buf.WriteByte(':')
		list, ok := o[k].([]any)
		if !ok || !slices.ContainsFunc(list, isRaw) {
			if err := put(o[k]); err != nil {
				return err
			}
			continue
		}
		buf.WriteByte('[')
		for j, x := range list {
			if j > 0 {
				buf.WriteByte(',')
			}
			if err := put(x); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	return nil
}

// pageBuffers are the buffers pages are assembled in: a page of a hundred
// projects is some 90 kB, which a fresh buffer would clear and grow for
// every page of a listing.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeAssembled sends o as writeJSON does when o holds rawJSON, in a
// buffer used again afterwards; it reports false, having sent nothing,
// when o holds none.
func writeAssembled(w http.ResponseWriter, status int, o obj) bool {
	size := rawSize(o)
	if size == 0 {
		return false
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer pageBuffers.Put(buf)
	buf.Reset()
	if err := assemble(buf, o, size); err != nil {
		http.Error(w, "emulator: "+err.Error(), http.StatusInternalServerError)
		return true
	}
	writeRaw(w, status, buf.Bytes()) // a Writer keeps nothing of what it is given
	return true
}

func isRaw(v any) bool {
	_, ok := v.(rawJSON)
	return ok
}

// rawSize is the length of the rawJSON encodeBody copies into o's body.
func rawSize(o obj) int {
	n := 0
	for _, v := range o {
		switch x := v.(type) {
		case rawJSON:
			n += len(x)
		case []any:
			for _, y := range x {
				if r, ok := y.(rawJSON); ok {
					n += len(r) + 1
				}
			}
		}
	}
	return n
}

// issueLock guards every site's issues. Its generation moves on each time
// a writer lets go: every change to an issue is made under this lock, so
// the generation is the one place the issue renderings below learn of
// writes, and none can be forgotten.
type issueLock struct {
	sync.RWMutex
	gen atomic.Uint64
}

func (l *issueLock) Unlock() {
	l.gen.Add(1)
	l.RWMutex.Unlock()
}

// maxViews bounds the issue renderings kept per site: one view per
// origin, caller, field selection and expansion a client asks for. A
// client that varies them without end gets renderings made afresh once the
// bound is reached, as do the fixed parts of more than maxViews origins.
const maxViews = 64

// renders holds a site's encoded projects, issues and what they show.
type renders struct {
	mu     sync.Mutex
	fixed  map[string]*sync.Map  // by origin (c.api()): fixedKey → rawJSON
	gen    uint64                // the issue generation of issues
	issues map[viewKey]*sync.Map // issue id → rawJSON
}

// viewKey is everything an issue's rendering depends on besides the
// issues: the origin and REST version of the self links (c.api()), the
// caller (an issue's watches and links depend on who asks, so callers
// never share renderings), and the canonical field selection and
// expansions (fieldSelection.String, quotedKeys), or what stands for
// another shape of rendering.
type viewKey struct {
	api            string
	who            *user
	fields, expand string
}

// fixedView is where this call's renderings of what never changes once
// its site is built are kept — project summaries, and the issue types,
// statuses, priorities, projects and people issues show — for its origin;
// nil past the bound.
func (c *call) fixedView() *sync.Map {
	if c.fixedDone {
		return c.fixedParts
	}
	rs := &c.site.renders
	api := c.api()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	v := rs.fixed[api]
	if v == nil && len(rs.fixed) < maxViews {
		if rs.fixed == nil {
			rs.fixed = map[string]*sync.Map{}
		}
		v = &sync.Map{}
		rs.fixed[api] = v
	}
	c.fixedParts, c.fixedDone = v, true
	return v
}

// fixedKey names one fixed rendering: what (a *project, *status, …) and
// in which shape.
type fixedKey struct {
	shape string
	of    any
}

// fixed is the rendering of of in shape, kept for the call's origin. An
// issue's rendering made of kept parts costs encoding/json a scan of
// each part rather than a walk of its map.
func (c *call) fixed(shape string, of any, render func() any) any {
	return cached(c.fixedView(), fixedKey{shape, of}, render)
}

// issueRenderer renders issues as issueObj(is, sel, expand) does for
// this call, keeping the renderings. The caller holds e.mu (read or write)
// while it uses it.
func (c *call) issueRenderer(sel fieldSelection, expand map[string]bool) func(*issue) any {
	v := c.issueView(sel.String(), quotedKeys(expand))
	return func(is *issue) any {
		return cached(v, is.ID, func() any { return c.issueObj(is, sel, expand) })
	}
}

// idRenderer renders issues as search does for a search that asks for
// ids only.
func (c *call) idRenderer() func(*issue) any {
	v := c.issueView("id only", "")
	return func(is *issue) any {
		return cached(v, is.ID, func() any { return obj{"id": strconv.FormatInt(is.ID, 10)} })
	}
}

// issueView is where issues rendered for this call with the given
// (canonical) fields and expand are kept; nil when the bound is reached.
// The caller holds e.mu, so the generation cannot move while it renders;
// renderings of an older generation are dropped here.
func (c *call) issueView(fields, expand string) *sync.Map {
	k := viewKey{api: c.api(), who: c.who, fields: fields, expand: expand}
	rs := &c.site.renders
	gen := c.e.mu.gen.Load()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.issues == nil || rs.gen != gen {
		rs.issues, rs.gen = map[viewKey]*sync.Map{}, gen
	}
	v := rs.issues[k]
	if v == nil && len(rs.issues) < maxViews {
		v = &sync.Map{}
		rs.issues[k] = v
	}
	return v
}

// cached is v's encoding under k, rendered and kept on first use. It is
// the value itself when it does not encode (writeJSON then answers 500,
// as for any value) or v is nil.
func cached(v *sync.Map, k any, render func() any) any {
	if v == nil {
		return render()
	}
	if b, ok := v.Load(k); ok {
		return b
	}
	x := render()
	b, err := encodeRaw(x)
	if err != nil {
		return x
	}
	v.Store(k, b)
	return b
}
