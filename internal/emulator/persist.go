package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stateVersion changes when the file's shape does.
const stateVersion = 1

// stateFile is what --state persists: the minted credentials (so a
// restarted sandbox keeps .env.local valid) and every site's issues.
type stateFile struct {
	Version int                  `json:"version"`
	SavedAt time.Time            `json:"savedAt"`
	Users   []UserInfo           `json:"users"`
	OAuth   []OAuthClientInfo    `json:"oauth"`
	Sites   map[string]siteState `json:"sites"` // by cloud id
}

type siteState struct {
	Issues      []*issue `json:"issues"`
	NextIssueID int64    `json:"nextIssueId"`
	NextComment int64    `json:"nextCommentId"`
}

// loadState restores credentials and issues from opts.StatePath; it
// returns false when there is no state file yet.
func (e *Emulator) loadState() (bool, error) {
	path := e.opts.StatePath
	if path == "" {
		return false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read state: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return false, fmt.Errorf("state file %s is damaged (%v); move it away to start from the seed", path, err)
	}
	if st.Version != stateVersion {
		return false, fmt.Errorf("state file %s has version %d, this sandbox writes %d; move it away to start from the seed", path, st.Version, stateVersion)
	}
	// Credentials: keep those of users still in the seed, mint for new ones.
	known := map[string]UserInfo{}
	for _, u := range st.Users {
		known[u.AccountID] = u
	}
	for _, u := range e.users {
		info, ok := known[u.AccountID]
		if !ok {
			info = UserInfo{ClassicToken: mintAPIToken(), ScopedToken: mintAPIToken(), PAT: mintPAT()}
		}
		info.AccountID, info.Email, info.DisplayName, info.Username = u.AccountID, u.Email, u.DisplayName, u.Username
		info.ScopedScopes = append([]string(nil), u.ScopedScopes...)
		e.creds.Users = append(e.creds.Users, info)
	}
	for i, a := range e.seed.OAuthApps {
		if i < len(st.OAuth) && st.OAuth[i].Name == a.Name {
			c := st.OAuth[i]
			c.RedirectURIs = append([]string(nil), a.RedirectURIs...)
			e.creds.OAuth = append(e.creds.OAuth, c)
			continue
		}
		e.creds.OAuth = append(e.creds.OAuth, OAuthClientInfo{ClientID: randomString(alnum, 32),
			ClientSecret: randomString(b64url, 64), Name: a.Name, RedirectURIs: a.RedirectURIs})
	}
	e.indexCredentials()
	for i, s := range e.sites {
		ss, ok := st.Sites[s.cloudID]
		if !ok {
			s.seedIssues(e.seed.Sites[i], e.start)
			continue
		}
		for _, is := range ss.Issues {
			if s.projectOf(is) == nil || s.types[is.TypeID] == nil || s.statuses[is.StatusID] == nil {
				continue // the seed no longer has its project, type or status
			}
			s.addIssue(is)
		}
		s.nextIssueID = max(s.nextIssueID, ss.NextIssueID)
		s.nextComment = max(s.nextComment, ss.NextComment)
	}
	return true, nil
}

// Save writes the state file now (atomically: temp file, then rename).
func (e *Emulator) Save() error {
	path := e.opts.StatePath
	if path == "" {
		return nil
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	st := stateFile{Version: stateVersion, SavedAt: e.now().UTC(), Sites: map[string]siteState{}}
	e.credMu.RLock()
	st.Users, st.OAuth = e.creds.Users, e.creds.OAuth
	e.credMu.RUnlock()
	e.mu.RLock()
	for _, s := range e.sites {
		st.Sites[s.cloudID] = siteState{Issues: s.issues, NextIssueID: s.nextIssueID, NextComment: s.nextComment}
	}
	b, err := json.MarshalIndent(st, "", " ")
	e.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil { // it holds the sandbox's tokens
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// persister coalesces saves after writes: at most one save per interval,
// and a final one on close.
type persister struct {
	e        *Emulator
	kick     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	closeErr error
}

const saveInterval = 200 * time.Millisecond

func newPersister(e *Emulator) *persister {
	p := &persister{e: e, kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go p.loop()
	return p
}

func (p *persister) dirty() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *persister) loop() {
	defer close(p.stopped)
	for {
		select {
		case <-p.done:
			return
		case <-p.kick:
			p.e.Save() // a failure is retried at the next change and at close
			select {
			case <-time.After(saveInterval):
			case <-p.done:
				return
			}
		}
	}
}

func (p *persister) close() error {
	p.once.Do(func() {
		close(p.done)
		<-p.stopped // a save in flight must not land after the final one
		p.closeErr = p.e.Save()
	})
	return p.closeErr
}

// changed tells the persister that issues changed.
func (e *Emulator) changed() {
	if e.persist != nil {
		e.persist.dirty()
	}
}
