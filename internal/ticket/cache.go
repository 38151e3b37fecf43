package ticket

import (
	"context"
	"errors"
	"sync"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// MetaCache keeps what resolving names needs — a project's issue types,
// each type's create screen, the caller's own account — for one Jira
// identity on one site. The CLI keeps it on disk, the server in memory per
// user. Each method returns the cached value when it has one (cached is
// then true), else what fetch returns, which it may keep.
//
// Create metadata changes rarely, and a change that bites is caught anyway:
// Jira rejects the stale id, the service calls Forget and resolves again.
type MetaCache interface {
	IssueTypes(ctx context.Context, project string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) (types []jira.IssueTypeMeta, cached bool, err error)
	Screen(ctx context.Context, project, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) (fields []jira.FieldMeta, cached bool, err error)
	Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (me tm.Account, cached bool, err error)
	// Forget drops the project's metadata; what follows comes from Jira.
	Forget(project string)
}

// NoCache keeps nothing: every call fetches.
type NoCache struct{}

func (NoCache) IssueTypes(ctx context.Context, _ string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) ([]jira.IssueTypeMeta, bool, error) {
	ts, err := fetch(ctx)
	return ts, false, err
}

func (NoCache) Screen(ctx context.Context, _, _ string, fetch func(context.Context) ([]jira.FieldMeta, error)) ([]jira.FieldMeta, bool, error) {
	fs, err := fetch(ctx)
	return fs, false, err
}

func (NoCache) Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	me, err := fetch(ctx)
	return me, false, err
}

func (NoCache) Forget(string) {}

// errOffline is what a fetch answers in a dry run, where nothing is sent:
// the name stays unresolved and goes into the request as given.
var errOffline = errors.New("ticket: not fetched in a dry run")

// memo keeps what an inner cache answered — a refusal too — for the
// length of one operation over many rows, so that each row does not ask
// again (a file of a thousand rows naming a missing project asks once).
type memo struct {
	inner   MetaCache
	mu      sync.Mutex
	types   map[string]typesAnswer
	screens map[[2]string][]jira.FieldMeta
}

type typesAnswer struct {
	types []jira.IssueTypeMeta
	err   error
}

func newMemo(inner MetaCache) *memo {
	return &memo{inner: inner, types: map[string]typesAnswer{}, screens: map[[2]string][]jira.FieldMeta{}}
}

func (m *memo) IssueTypes(ctx context.Context, project string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) ([]jira.IssueTypeMeta, bool, error) {
	m.mu.Lock()
	a, ok := m.types[project]
	m.mu.Unlock()
	if ok {
		return a.types, true, a.err
	}
	ts, cached, err := m.inner.IssueTypes(ctx, project, fetch)
	if !errors.Is(err, errOffline) {
		m.mu.Lock()
		m.types[project] = typesAnswer{ts, err}
		m.mu.Unlock()
	}
	return ts, cached, err
}

func (m *memo) Screen(ctx context.Context, project, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) ([]jira.FieldMeta, bool, error) {
	k := [2]string{project, typeID}
	m.mu.Lock()
	fs, ok := m.screens[k]
	m.mu.Unlock()
	if ok {
		return fs, true, nil
	}
	fs, cached, err := m.inner.Screen(ctx, project, typeID, fetch)
	if err == nil {
		m.mu.Lock()
		m.screens[k] = fs
		m.mu.Unlock()
	}
	return fs, cached, err
}

func (m *memo) Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	return m.inner.Myself(ctx, fetch)
}

func (m *memo) Forget(project string) {
	m.mu.Lock()
	delete(m.types, project)
	for k := range m.screens {
		if k[0] == project {
			delete(m.screens, k)
		}
	}
	m.mu.Unlock()
	m.inner.Forget(project)
}
