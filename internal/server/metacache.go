package server

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Create metadata (a project's issue types and each type's create screen)
// changes rarely, and the dashboard and every create need it. Kept in
// memory it costs no round trip; a stale id is caught when Jira rejects it
// (the ticket service reads it again then), so the TTL only bounds how long a new type stays
// invisible.
const (
	metaTTL        = 10 * time.Minute
	metaMaxEntries = 1024 // (user, site, project) triples; the least recently used goes first
)

// metaKey names what one user may create in one project of one site:
// createmeta answers by the caller's permissions, so users never share.
type metaKey struct{ user, cloud, project string }

func (k metaKey) String() string { return k.user + "\x00" + k.cloud + "\x00" + k.project }

type metaEntry struct {
	key     metaKey
	types   []jira.IssueTypeMeta
	typesAt time.Time // zero: not fetched yet
	// screens holds the create screen of each issue type asked for; the
	// ids come from types, so there are at most as many as the project has.
	screens map[string]screen
	// me is the user's own account on the site (kept in the entry of
	// project ""), for an assignee of "me".
	me   tm.Account
	meAt time.Time
}

type screen struct {
	fields []jira.FieldMeta
	at     time.Time
}

// metaCache is a bounded, expiring, least-recently-used cache of create
// metadata. Concurrent misses for the same thing share one request.
type metaCache struct {
	ttl    time.Duration
	max    int
	now    func() time.Time
	flight singleflight.Group

	mu  sync.Mutex
	lru *list.List // of *metaEntry; front is the most recently used
	idx map[metaKey]*list.Element
}

func newMetaCache(ttl time.Duration, max int, now func() time.Time) *metaCache {
	return &metaCache{ttl: ttl, max: max, now: now, lru: list.New(), idx: map[metaKey]*list.Element{}}
}

// fresh reports whether something fetched at t is still to be trusted.
func (m *metaCache) fresh(t time.Time) bool {
	return !t.IsZero() && m.now().Sub(t) < m.ttl
}

// entry returns k's entry, making it the most recently used; with create it
// adds a missing one, evicting the least recently used beyond the bound.
// The caller holds m.mu.
func (m *metaCache) entry(k metaKey, create bool) *metaEntry {
	if el, ok := m.idx[k]; ok {
		m.lru.MoveToFront(el)
		return el.Value.(*metaEntry)
	}
	if !create {
		return nil
	}
	e := &metaEntry{key: k, screens: map[string]screen{}}
	m.idx[k] = m.lru.PushFront(e)
	for m.lru.Len() > m.max {
		old := m.lru.Back()
		m.lru.Remove(old)
		delete(m.idx, old.Value.(*metaEntry).key)
	}
	return e
}

// issueTypes returns k's issue types, from memory when fresh (cached is
// then true), else from fetch.
func (m *metaCache) issueTypes(ctx context.Context, k metaKey, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) (types []jira.IssueTypeMeta, cached bool, err error) {
	m.mu.Lock()
	if e := m.entry(k, false); e != nil && m.fresh(e.typesAt) {
		types = e.types
		m.mu.Unlock()
		return types, true, nil
	}
	m.mu.Unlock()
	v, err, _ := m.flight.Do("types\x00"+k.String(), func() (any, error) {
		// The fetch outlives a caller that gives up, so the others
		// waiting on it still get an answer; the client bounds it.
		ts, err := fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if ts == nil {
			ts = []jira.IssueTypeMeta{}
		}
		m.mu.Lock()
		e := m.entry(k, true)
		e.types, e.typesAt = ts, m.now()
		m.mu.Unlock()
		return ts, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.([]jira.IssueTypeMeta), false, nil
}

// screen returns the create screen of issue type typeID in k's project.
func (m *metaCache) screen(ctx context.Context, k metaKey, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) (fields []jira.FieldMeta, cached bool, err error) {
	m.mu.Lock()
	if e := m.entry(k, false); e != nil {
		if sc, ok := e.screens[typeID]; ok && m.fresh(sc.at) {
			m.mu.Unlock()
			return sc.fields, true, nil
		}
	}
	m.mu.Unlock()
	v, err, _ := m.flight.Do("screen\x00"+k.String()+"\x00"+typeID, func() (any, error) {
		fs, err := fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if fs == nil {
			fs = []jira.FieldMeta{}
		}
		m.mu.Lock()
		m.entry(k, true).screens[typeID] = screen{fields: fs, at: m.now()}
		m.mu.Unlock()
		return fs, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.([]jira.FieldMeta), false, nil
}

// drop forgets k's project, so the next use asks Jira again.
func (m *metaCache) drop(k metaKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.idx[k]; ok {
		m.lru.Remove(el)
		delete(m.idx, k)
	}
}

// dropUser forgets everything of one user (on disconnect: a new grant may
// come with other permissions).
func (m *metaCache) dropUser(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, el := range m.idx {
		if k.user == user {
			m.lru.Remove(el)
			delete(m.idx, k)
		}
	}
}

// len is the number of projects held.
func (m *metaCache) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// myself returns the account of k's user on k's site.
func (m *metaCache) myself(ctx context.Context, k metaKey, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	k.project = ""
	m.mu.Lock()
	if e := m.entry(k, false); e != nil && m.fresh(e.meAt) {
		me := e.me
		m.mu.Unlock()
		return me, true, nil
	}
	m.mu.Unlock()
	v, err, _ := m.flight.Do("me\x00"+k.String(), func() (any, error) {
		me, err := fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		e := m.entry(k, true)
		e.me, e.meAt = me, m.now()
		m.mu.Unlock()
		return me, nil
	})
	if err != nil {
		return tm.Account{}, false, err
	}
	return v.(tm.Account), false, nil
}

// userMeta is one user's view of the cache on one site: the ticket
// service's metadata cache for that user.
type userMeta struct {
	m           *metaCache
	user, cloud string
}

func (u userMeta) key(project string) metaKey {
	return metaKey{user: u.user, cloud: u.cloud, project: project}
}

func (u userMeta) IssueTypes(ctx context.Context, project string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) ([]jira.IssueTypeMeta, bool, error) {
	return u.m.issueTypes(ctx, u.key(project), fetch)
}

func (u userMeta) Screen(ctx context.Context, project, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) ([]jira.FieldMeta, bool, error) {
	return u.m.screen(ctx, u.key(project), typeID, fetch)
}

func (u userMeta) Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	return u.m.myself(ctx, u.key(""), fetch)
}

func (u userMeta) Forget(project string) { u.m.drop(u.key(project)) }

var _ ticket.MetaCache = userMeta{}
