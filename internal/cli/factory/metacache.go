package factory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Cache is a file cache of JSON values (the Factory is one).
type Cache interface {
	ReadCache(name string, maxAge time.Duration, v any) bool
	WriteCache(name string, v any) error
	DropCache(name string)
}

// metaTTL is how long create metadata on disk is trusted. Issue types and
// create screens change rarely, and a change that bites is caught anyway:
// Jira rejects the stale id and the ticket service reads it afresh.
const metaTTL = 24 * time.Hour

// MetaCache keeps create metadata for j's site and credentials in c, so
// that a repeated create is one request.
func MetaCache(c Cache, j *Jira) ticket.MetaCache {
	h := sha256.Sum256([]byte(j.Config.APIKey.Reveal()))
	// The token enters the account's entry name only hashed, and hashed again.
	return &diskMeta{c: c, site: j.SiteURL(), account: "account-" + CacheKey(j.SiteURL(), j.Config.Email, hex.EncodeToString(h[:]))}
}

type diskMeta struct {
	c       Cache
	site    string
	account string
}

type cachedTypes struct {
	Site, Project string
	IssueTypes    []jira.IssueTypeMeta
}

type cachedFields struct {
	Site, Project, IssueTypeID string
	Fields                     []jira.FieldMeta
}

type cachedAccount struct {
	Site    string
	Account tm.Account
}

func (m *diskMeta) typesKey(project string) string { return "createmeta-" + CacheKey(m.site, project) }
func (m *diskMeta) fieldsKey(project, typeID string) string {
	return "createmeta-" + CacheKey(m.site, project, typeID)
}

func (m *diskMeta) IssueTypes(ctx context.Context, project string, fetch func(context.Context) ([]jira.IssueTypeMeta, error)) ([]jira.IssueTypeMeta, bool, error) {
	var c cachedTypes
	if m.c.ReadCache(m.typesKey(project), metaTTL, &c) && c.Site == m.site && c.Project == project && len(c.IssueTypes) > 0 {
		return c.IssueTypes, true, nil
	}
	ts, err := fetch(ctx)
	if err != nil {
		return nil, false, err
	}
	// A cache that cannot be written costs a request next time, nothing more.
	_ = m.c.WriteCache(m.typesKey(project), cachedTypes{Site: m.site, Project: project, IssueTypes: ts})
	return ts, false, nil
}

func (m *diskMeta) Screen(ctx context.Context, project, typeID string, fetch func(context.Context) ([]jira.FieldMeta, error)) ([]jira.FieldMeta, bool, error) {
	var c cachedFields
	if m.c.ReadCache(m.fieldsKey(project, typeID), metaTTL, &c) && c.Site == m.site && c.Project == project && c.IssueTypeID == typeID {
		return c.Fields, true, nil
	}
	fs, err := fetch(ctx)
	if err != nil {
		return nil, false, err
	}
	if fs == nil {
		fs = []jira.FieldMeta{}
	}
	_ = m.c.WriteCache(m.fieldsKey(project, typeID), cachedFields{Site: m.site, Project: project, IssueTypeID: typeID, Fields: fs})
	return fs, false, nil
}

func (m *diskMeta) Myself(ctx context.Context, fetch func(context.Context) (tm.Account, error)) (tm.Account, bool, error) {
	var c cachedAccount
	if m.c.ReadCache(m.account, metaTTL, &c) && c.Site == m.site {
		return c.Account, true, nil
	}
	me, err := fetch(ctx)
	if err != nil {
		return tm.Account{}, false, err
	}
	_ = m.c.WriteCache(m.account, cachedAccount{Site: m.site, Account: me})
	return me, false, nil
}

// Forget drops the project's issue types and every create screen of them.
func (m *diskMeta) Forget(project string) {
	var c cachedTypes
	if m.c.ReadCache(m.typesKey(project), 100*365*24*time.Hour, &c) {
		for _, t := range c.IssueTypes {
			m.c.DropCache(m.fieldsKey(project, t.ID))
		}
	}
	m.c.DropCache(m.typesKey(project))
}
