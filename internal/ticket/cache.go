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
// A question already on its way is not asked twice: who asks meanwhile
// waits for its answer.
type memo struct {
	inner   MetaCache
	types   flights[string, []jira.IssueTypeMeta]
	screens flights[[2]string, []jira.FieldMeta]
	me      flights[struct{}, tm.Account]
}

func newMemo(inner MetaCache) *memo { return &memo{inner: inner} }

// kept says which answers the memo keeps: a dry run's miss is not an
// answer, and a failed screen read is tried again by the next row.
func keptUnlessOffline(err error) bool { return !errors.Is(err, errOffline) }
func keptIfFound(err error) bool       { return err == nil }

func (m *memo) IssueTypes(ctx context.Context, project string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) ([]jira.IssueTypeMeta, bool, error) {
	return m.types.do(ctx, project, keptUnlessOffline, func() ([]jira.IssueTypeMeta, bool, error) {
		return m.inner.IssueTypes(ctx, project, fetch)
	})
}

func (m *memo) Screen(ctx context.Context, project, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) ([]jira.FieldMeta, bool, error) {
	return m.screens.do(ctx, [2]string{project, typeID}, keptIfFound, func() ([]jira.FieldMeta, bool, error) {
		return m.inner.Screen(ctx, project, typeID, fetch)
	})
}

func (m *memo) Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	return m.me.do(ctx, struct{}{}, keptIfFound, func() (tm.Account, bool, error) {
		return m.inner.Myself(ctx, fetch)
	})
}

func (m *memo) Forget(project string) {
	m.types.forget(func(k string) bool { return k == project })
	m.screens.forget(func(k [2]string) bool { return k[0] == project })
	m.inner.Forget(project)
}

// flights asks each question once: the first caller for a key fetches,
// callers for the same key wait for that answer, and later callers get it
// from memory (as cached) while keep says it may be kept.
type flights[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*flight[V]
}

type flight[V any] struct {
	done   chan struct{}
	v      V
	cached bool
	err    error
}

func (f *flights[K, V]) do(ctx context.Context, k K, keep func(error) bool, fetch func() (V, bool, error)) (V, bool, error) {
	for {
		f.mu.Lock()
		fl, ok := f.m[k]
		if !ok {
			break // with f.mu held
		}
		f.mu.Unlock()
		select {
		case <-fl.done:
		case <-ctx.Done():
			var zero V
			return zero, false, ctx.Err()
		}
		// A fetch given up by its own caller answers nobody else: ask again.
		if !abandoned(fl.err) {
			return fl.v, true, fl.err
		}
	}
	if f.m == nil {
		f.m = map[K]*flight[V]{}
	}
	fl := &flight[V]{done: make(chan struct{})}
	f.m[k] = fl
	f.mu.Unlock()
	fl.v, fl.cached, fl.err = fetch()
	if !keep(fl.err) || abandoned(fl.err) {
		f.mu.Lock()
		if f.m[k] == fl {
			delete(f.m, k)
		}
		f.mu.Unlock()
	}
	close(fl.done)
	return fl.v, fl.cached, fl.err
}

func abandoned(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// forget drops the answers whose keys match; a fetch under way still
// answers those waiting for it.
func (f *flights[K, V]) forget(match func(K) bool) {
	f.mu.Lock()
	for k := range f.m {
		if match(k) {
			delete(f.m, k)
		}
	}
	f.mu.Unlock()
}
