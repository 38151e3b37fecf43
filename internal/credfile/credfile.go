// Package credfile owns the tm CLI's OAuth 2.0 (3LO) credential store: the
// Atlassian sign-in of the one person using this machine account — their
// token pair, the account it belongs to, the sites it reaches and the site
// they chose — in one JSON file under the user's config directory.
//
// The file is the credential store, as gh's hosts.yml is when no keyring is
// available: it is created readable by its owner only (0600, in a 0700
// directory), replaced atomically (temporary file + rename) so a reader never
// sees half of it, and refused when others may read it. OAuth sign-ins live
// only here: their refresh tokens rotate under the file's lock. A sign-in
// through a ticket-mate server (server.go) goes to the OS keyring when one
// answers and to this file otherwise.
//
// Refresh tokens rotate and may be spent once, so every write happens under
// an exclusive lock on a sibling ".lock" file (gofrs/flock): two tm
// processes refreshing at the same moment queue, and the second one finds the
// pair the first one stored. Sign-ins are kept per OAuth app (client id and
// authorization server), so switching apps never sends one app's tokens to
// another.
//
// Store implements tm.GrantStore with the Atlassian account id as the user
// id. It imports only the domain package, the standard library and flock.
package credfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/ticket-mate/tm"
)

// FileName is the credential file's name in the user config directory.
const FileName = "oauth.json"

// format is the file layout's version. A file written by a newer tm with a
// higher number is refused rather than rewritten without what it added.
const format = 1

// maxFile bounds what is read as a credential file.
const maxFile = 1 << 20

// lockPoll is how often a waiter retries the file lock.
const lockPoll = 5 * time.Millisecond

// Path is the credential file in configDir.
func Path(configDir string) string { return filepath.Join(configDir, FileName) }

// Account is the Atlassian account a sign-in belongs to (from /me).
type Account struct {
	AccountID string `json:"accountId"`
	Email     string `json:"email,omitempty"`
	Name      string `json:"name,omitempty"`
}

// SignIn is one OAuth app's stored sign-in.
type SignIn struct {
	Account Account
	Grant   *tm.Grant // Grant.UserID is Account.AccountID
	Sites   []tm.Site
}

// Site returns the site with cloudID and whether the sign-in reaches it.
func (si *SignIn) Site(cloudID string) (tm.Site, bool) {
	i := slices.IndexFunc(si.Sites, func(s tm.Site) bool { return s.CloudID == cloudID })
	if i < 0 {
		return tm.Site{}, false
	}
	return si.Sites[i], true
}

// Store is the credential file as seen by one OAuth app. Several Stores,
// in one process or several, may share a file.
type Store struct {
	path     string
	authURL  string
	clientID string
	now      func() time.Time
}

// New returns the store of the app clientID at the authorization server
// authURL, kept in the file at path. now nil means time.Now.
func New(path, authURL, clientID string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{path: path, authURL: strings.TrimRight(authURL, "/"), clientID: clientID, now: now}
}

// Path is the file the store reads and writes.
func (s *Store) Path() string { return s.path }

var _ tm.GrantStore = (*Store)(nil)

// file is the JSON document.
type file struct {
	Format  int     `json:"format"`
	SignIns []entry `json:"signIns"`
	// LastVersion is the highest grant version ever written to the file,
	// so a sign-in removed and saved again never repeats a version that a
	// stale writer may still hold.
	LastVersion int64 `json:"lastVersion,omitempty"`
	// Server is the sign-in through a ticket-mate server, when no OS
	// keyring could keep it.
	Server *serverJSON `json:"server,omitempty"`
}

// entry is one app's sign-in. Tokens are written in the clear: the file's
// permissions are what protects them.
type entry struct {
	AuthURL  string    `json:"authUrl"`
	ClientID string    `json:"clientId"`
	Account  Account   `json:"account"`
	Grant    grantJSON `json:"grant"`
	Sites    []tm.Site `json:"sites,omitempty"`
}

type grantJSON struct {
	AccessToken     string    `json:"accessToken"`
	RefreshToken    string    `json:"refreshToken,omitempty"`
	TokenType       string    `json:"tokenType,omitempty"`
	Scopes          []string  `json:"scopes,omitempty"`
	ExpiresAt       time.Time `json:"expiresAt"`
	FamilyStartedAt time.Time `json:"familyStartedAt"`
	RefreshedAt     time.Time `json:"refreshedAt,omitzero"`
	Version         int64     `json:"version"`
	Lost            bool      `json:"lost,omitempty"`
	LostReason      string    `json:"lostReason,omitempty"`
	LostAt          time.Time `json:"lostAt,omitzero"`
	SelectedCloudID string    `json:"selectedCloudId,omitempty"`
}

func (e *entry) grant() *tm.Grant {
	g := e.Grant
	return &tm.Grant{
		UserID: e.Account.AccountID,
		TokenSet: tm.TokenSet{
			AccessToken: tm.Secret(g.AccessToken), RefreshToken: tm.Secret(g.RefreshToken),
			TokenType: g.TokenType, Scopes: slices.Clone(g.Scopes), ExpiresAt: g.ExpiresAt,
		},
		FamilyStartedAt: g.FamilyStartedAt, RefreshedAt: g.RefreshedAt, Version: g.Version,
		Lost: g.Lost, LostReason: g.LostReason, LostAt: g.LostAt, SelectedCloudID: g.SelectedCloudID,
	}
}

func (e *entry) setTokens(t tm.TokenSet) {
	e.Grant.AccessToken = t.AccessToken.Reveal()
	if !t.RefreshToken.IsZero() { // an answer without one keeps the stored one
		e.Grant.RefreshToken = t.RefreshToken.Reveal()
	}
	e.Grant.TokenType, e.Grant.Scopes, e.Grant.ExpiresAt = t.TokenType, slices.Clone(t.Scopes), t.ExpiresAt
}

func (e *entry) signIn() *SignIn {
	return &SignIn{Account: e.Account, Grant: e.grant(), Sites: slices.Clone(e.Sites)}
}

// find returns this app's entry in f, or nil.
func (s *Store) find(f *file) *entry {
	for i := range f.SignIns {
		if e := &f.SignIns[i]; e.AuthURL == s.authURL && e.ClientID == s.clientID {
			return e
		}
	}
	return nil
}

// forUser returns the entry when it belongs to userID, else ENOTFOUND.
func (s *Store) forUser(f *file, userID string) (*entry, error) {
	e := s.find(f)
	if e == nil || e.Account.AccountID != userID {
		return nil, &tm.Error{Code: tm.ENOTFOUND, Message: fmt.Sprintf("no sign-in of account %q is stored in %s", userID, s.path)}
	}
	return e, nil
}

// SignIn returns this app's stored sign-in, or an ENOTFOUND error.
func (s *Store) SignIn(ctx context.Context) (*SignIn, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	e := s.find(f)
	if e == nil {
		return nil, &tm.Error{Code: tm.ENOTFOUND, Message: "no sign-in is stored in " + s.path}
	}
	return e.signIn(), nil
}

// SaveSignIn stores a sign-in after consent, replacing this app's previous
// one (whoever it belonged to) with a new token family, as SaveGrant does.
// Its selected site must be one of its sites, or empty.
func (s *Store) SaveSignIn(ctx context.Context, si *SignIn) error {
	switch {
	case si == nil || si.Grant == nil || si.Account.AccountID == "":
		return tm.Errorf(tm.EINVALID, "a sign-in needs an account id and a grant")
	case si.Grant.UserID != "" && si.Grant.UserID != si.Account.AccountID:
		return tm.Errorf(tm.EINVALID, "the grant belongs to %q, not to the sign-in's account %q", si.Grant.UserID, si.Account.AccountID)
	}
	if err := checkTokens(si.Grant.TokenSet); err != nil {
		return err
	}
	if id := si.Grant.SelectedCloudID; id != "" {
		if _, ok := si.Site(id); !ok {
			return tm.Errorf(tm.EINVALID, "the selected site %q is not one of the sign-in's sites", id)
		}
	}
	si.Grant.UserID = si.Account.AccountID
	return s.update(ctx, func(f *file) error {
		next := s.saved(f, si.Grant)
		next.Account, next.Sites = si.Account, slices.Clone(si.Sites)
		if _, ok := si.Site(next.Grant.SelectedCloudID); !ok {
			next.Grant.SelectedCloudID = "" // the previous choice is not among the new sites
		}
		s.put(f, next)
		*si.Grant = *next.grant()
		return nil
	})
}

// saved is the entry a new consent of g turns this app's entry in f (if
// any) into.
func (s *Store) saved(f *file, g *tm.Grant) entry {
	prev := s.find(f)
	now := s.now()
	next := entry{AuthURL: s.authURL, ClientID: s.clientID, Account: Account{AccountID: g.UserID}}
	next.setTokens(g.TokenSet)
	next.Grant.RefreshToken = g.RefreshToken.Reveal() // a new family: never keep the old one
	next.Grant.FamilyStartedAt = g.FamilyStartedAt
	if next.Grant.FamilyStartedAt.IsZero() {
		next.Grant.FamilyStartedAt = now
	}
	next.Grant.SelectedCloudID = g.SelectedCloudID
	// A first version taken from the clock, not 1, so that even a file
	// deleted and written again does not repeat one.
	next.Grant.Version = max(now.UnixMicro(), f.LastVersion+1)
	if prev != nil {
		next.Sites = prev.Sites
		if next.Grant.SelectedCloudID == "" && prev.Account.AccountID == g.UserID {
			next.Grant.SelectedCloudID = prev.Grant.SelectedCloudID
		}
	}
	return next
}

// put replaces this app's entry in f, or adds it.
func (s *Store) put(f *file, e entry) {
	if cur := s.find(f); cur != nil {
		*cur = e
		return
	}
	f.SignIns = append(f.SignIns, e)
}

// Remove forgets this app's sign-in. It reports whether there was one.
func (s *Store) Remove(ctx context.Context) (bool, error) {
	removed := false
	err := s.update(ctx, func(f *file) error {
		n := len(f.SignIns)
		f.SignIns = slices.DeleteFunc(f.SignIns, func(e entry) bool { return e.AuthURL == s.authURL && e.ClientID == s.clientID })
		removed = len(f.SignIns) < n
		return nil
	})
	return removed, err
}

// Others counts the sign-ins of other apps kept in the same file.
func (s *Store) Others() (int, error) {
	f, err := s.read()
	if err != nil {
		return 0, err
	}
	n := len(f.SignIns)
	if s.find(f) != nil {
		n--
	}
	return n, nil
}

// RemoveAll deletes the credential file at path (every app's sign-in). It
// reports whether there was one.
func RemoveAll(ctx context.Context, path string) (bool, error) {
	unlock, err := lock(ctx, path)
	if err != nil {
		return false, err
	}
	defer unlock()
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fileError(path, "delete", err)
	}
	return true, nil
}

// GetGrant returns the grant of userID, or ENOTFOUND.
func (s *Store) GetGrant(ctx context.Context, userID string) (*tm.Grant, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	e, err := s.forUser(f, userID)
	if err != nil {
		return nil, err
	}
	return e.grant(), nil
}

// SaveGrant stores g after consent as a new token family, replacing this
// app's previous sign-in. An account that differs from the stored one
// starts with no sites; the same account keeps its sites and, when
// g.SelectedCloudID is empty, its selection.
func (s *Store) SaveGrant(ctx context.Context, g *tm.Grant) error {
	if g == nil || g.UserID == "" {
		return tm.Errorf(tm.EINVALID, "a grant needs a user id")
	}
	if err := checkTokens(g.TokenSet); err != nil {
		return err
	}
	return s.update(ctx, func(f *file) error {
		prev := s.find(f)
		next := s.saved(f, g)
		if prev != nil && prev.Account.AccountID == g.UserID {
			next.Account = prev.Account
		} else {
			next.Sites = nil
		}
		s.put(f, next)
		*g = *next.grant()
		return nil
	})
}

// DeleteGrant forgets userID's grant and sites; no grant is not an error.
func (s *Store) DeleteGrant(ctx context.Context, userID string) error {
	return s.update(ctx, func(f *file) error {
		if e := s.find(f); e != nil && e.Account.AccountID == userID {
			f.SignIns = slices.DeleteFunc(f.SignIns, func(x entry) bool { return x.AuthURL == s.authURL && x.ClientID == s.clientID })
		}
		return nil
	})
}

// UpdateGrantTokens stores a rotated pair if the grant is still at
// expectVersion; otherwise ECONFLICT (ENOTFOUND when there is none). An
// empty RefreshToken keeps the stored one.
func (s *Store) UpdateGrantTokens(ctx context.Context, userID string, expectVersion int64, t tm.TokenSet) (*tm.Grant, error) {
	if err := checkTokens(t); err != nil {
		return nil, err
	}
	return s.swap(ctx, userID, expectVersion, func(e *entry) {
		e.setTokens(t)
		e.Grant.RefreshedAt = s.now()
	})
}

// MarkGrantLost records that Atlassian refused the refresh token, if the
// grant is still at expectVersion; otherwise ECONFLICT.
func (s *Store) MarkGrantLost(ctx context.Context, userID string, expectVersion int64, reason string) (*tm.Grant, error) {
	if reason == "" {
		reason = "invalid_grant"
	}
	return s.swap(ctx, userID, expectVersion, func(e *entry) {
		if !e.Grant.Lost {
			e.Grant.Lost, e.Grant.LostAt = true, s.now()
		}
		e.Grant.LostReason = reason
	})
}

// swap applies change to userID's entry if it is at expectVersion.
func (s *Store) swap(ctx context.Context, userID string, expectVersion int64, change func(*entry)) (*tm.Grant, error) {
	var out *tm.Grant
	err := s.update(ctx, func(f *file) error {
		e, err := s.forUser(f, userID)
		if err != nil {
			return err
		}
		if e.Grant.Version != expectVersion {
			return &tm.Error{Code: tm.ECONFLICT,
				Message: fmt.Sprintf("the stored sign-in changed underneath: version %d expected, %d stored", expectVersion, e.Grant.Version),
				Hint:    "Another tm process rotated its tokens; reload it and use the stored pair."}
		}
		change(e)
		e.Grant.Version++
		out = e.grant()
		return nil
	})
	return out, err
}

// WithGrantLock runs fn on userID's grant while holding the file lock,
// which other tm processes honour too. A grant fn returns has its tokens,
// Lost and LostReason stored before the lock is released, and gets the new
// Version; nil stores nothing; an error stores nothing and is returned.
func (s *Store) WithGrantLock(ctx context.Context, userID string, fn func(ctx context.Context, g *tm.Grant) (*tm.Grant, error)) error {
	return s.update(ctx, func(f *file) error {
		e, err := s.forUser(f, userID)
		if err != nil {
			return err
		}
		before := e.grant()
		next, err := fn(ctx, e.grant())
		if err != nil || next == nil {
			if err == nil {
				err = errUnchanged
			}
			return err
		}
		if next.UserID != "" && next.UserID != userID {
			return tm.Errorf(tm.EINVALID, "the grant lock of account %q cannot store a grant of %q", userID, next.UserID)
		}
		if err := checkTokens(next.TokenSet); err != nil {
			return err
		}
		now := s.now()
		e.setTokens(next.TokenSet)
		if next.AccessToken != before.AccessToken || (!next.RefreshToken.IsZero() && next.RefreshToken != before.RefreshToken) {
			e.Grant.RefreshedAt = now
		}
		e.Grant.Lost, e.Grant.LostReason = next.Lost, next.LostReason
		switch {
		case !next.Lost:
			e.Grant.LostAt, e.Grant.LostReason = time.Time{}, ""
		case !before.Lost:
			e.Grant.LostAt = now
		}
		if next.Lost && e.Grant.LostReason == "" {
			e.Grant.LostReason = "invalid_grant"
		}
		e.Grant.Version++
		*next = *e.grant()
		return nil
	})
}

// errUnchanged tells update that fn wants nothing written.
var errUnchanged = errors.New("unchanged")

func checkTokens(t tm.TokenSet) error {
	if t.AccessToken.IsZero() {
		return tm.Errorf(tm.EINVALID, "a grant needs an access token")
	}
	if t.ExpiresAt.IsZero() {
		return tm.Errorf(tm.EINVALID, "a grant needs the access token's expiry time")
	}
	return nil
}

// update runs fn on the file's content under the file lock and writes the
// result, unless fn fails (errUnchanged: write nothing, no error).
func (s *Store) update(ctx context.Context, fn func(*file) error) error {
	unlock, err := lock(ctx, s.path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		if errors.Is(err, errUnchanged) {
			return nil
		}
		return err
	}
	for _, e := range f.SignIns {
		f.LastVersion = max(f.LastVersion, e.Grant.Version)
	}
	return s.write(f)
}

// lock takes the exclusive lock beside path, creating its directory.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fileError(path, "create the directory of", err)
	}
	fl := flock.New(path+".lock", flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, lockPoll)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("wait for the lock on %s: %w", path, err)
	}
	return func() { fl.Close() }, nil
}

// read loads the file; a missing file is an empty one.
func (s *Store) read() (*file, error) {
	fh, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &file{Format: format}, nil
	}
	if err != nil {
		return nil, fileError(s.path, "open", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fileError(s.path, "read", err)
	}
	if err := checkPrivate(s.path, st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFile+1))
	if err != nil {
		return nil, fileError(s.path, "read", err)
	}
	if len(data) > maxFile {
		return nil, corrupt(s.path, fmt.Sprintf("it is larger than %d bytes", maxFile))
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			// The decoder's message may quote a byte of the file; the offset says enough.
			return nil, corrupt(s.path, fmt.Sprintf("it is not valid JSON (at byte %d)", syn.Offset))
		}
		return nil, corrupt(s.path, "it does not have the expected shape")
	}
	if f.Format > format {
		return nil, &tm.Error{Code: tm.ECONFIG,
			Message: fmt.Sprintf("%s was written by a newer tm (format %d; this tm knows %d)", s.path, f.Format, format),
			Hint:    "Update tm, or sign in again with this one: tm logout --all && tm login"}
	}
	f.Format = format
	return &f, nil
}

// checkPrivate refuses a credential file that other users may read or
// change, as ssh refuses such a private key: its tokens act as the user.
func checkPrivate(path string, st fs.FileInfo) error {
	if runtime.GOOS == "windows" { // permission bits say nothing there
		return nil
	}
	if !st.Mode().IsRegular() {
		return corrupt(path, "it is not a regular file")
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return &tm.Error{Code: tm.ECONFIG,
			Message: fmt.Sprintf("%s is accessible to other users (mode %04o), and it holds your Atlassian tokens", path, perm),
			Hint: "Make it private: chmod 600 " + path + "\n" +
				"If someone else may have read it, delete it and sign in again: tm logout --all && tm login"}
	}
	return nil
}

// write replaces the file atomically, readable by its owner only.
func (s *Store) write(f *file) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*.tmp") // created 0600
	if err != nil {
		return fileError(s.path, "write", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fileError(s.path, "write", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fileError(s.path, "write", err)
	}
	// Flush before the rename: a crash must leave the old pair or the new
	// one, never an empty file where a rotated refresh token should be.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fileError(s.path, "write", err)
	}
	if err := tmp.Close(); err != nil {
		return fileError(s.path, "write", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fileError(s.path, "replace", err)
	}
	return nil
}

func fileError(path, verb string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf("cannot %s %s: %v", verb, path, err), Err: err,
		Hint: "Check the permissions of " + filepath.Dir(path) + " (it should belong to you)."}
}

func corrupt(path, why string) error {
	return &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf("the sign-in file %s cannot be used: %s", path, why),
		Hint: "tm leaves it as it is. Move it aside (keeping it to look at), then sign in again:\n" +
			"  mv " + path + " " + path + ".broken\n" +
			"  tm login --server URL   (or tm login, for your own OAuth app)\n" +
			"It holds only sign-ins: your configuration (.env.local, ticket-mate.json) and a sign-in kept in the OS keyring are not in it."}
}
