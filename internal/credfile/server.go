package credfile

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// ServerSignIn is this terminal's sign-in through a ticket-mate server (tm
// login --server): the server, its token for the person, and where the
// person's Jira is.
type ServerSignIn struct {
	Server    string // https://tm.example.com
	Token     tm.Secret
	TokenID   string
	Account   Account
	CloudID   string
	SiteName  string
	SiteURL   string
	Scopes    []string
	ExpiresAt time.Time
}

// serverJSON is ServerSignIn as stored, in the file or in the OS keyring.
// The token is in the clear: the file's permissions, or the keyring,
// protect it.
type serverJSON struct {
	Server    string    `json:"server"`
	Token     string    `json:"token"`
	TokenID   string    `json:"tokenId,omitempty"`
	Account   Account   `json:"account"`
	CloudID   string    `json:"cloudId"`
	SiteName  string    `json:"siteName,omitempty"`
	SiteURL   string    `json:"siteUrl"`
	Scopes    []string  `json:"scopes,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (si *ServerSignIn) stored() *serverJSON {
	return &serverJSON{Server: strings.TrimRight(si.Server, "/"), Token: si.Token.Reveal(), TokenID: si.TokenID, Account: si.Account,
		CloudID: si.CloudID, SiteName: si.SiteName, SiteURL: si.SiteURL, Scopes: slices.Clone(si.Scopes), ExpiresAt: si.ExpiresAt}
}

func (j *serverJSON) signIn() *ServerSignIn {
	return &ServerSignIn{Server: j.Server, Token: tm.Secret(j.Token), TokenID: j.TokenID, Account: j.Account,
		CloudID: j.CloudID, SiteName: j.SiteName, SiteURL: j.SiteURL, Scopes: slices.Clone(j.Scopes), ExpiresAt: j.ExpiresAt}
}

// EncodeServer renders si for the OS keyring.
func EncodeServer(si *ServerSignIn) (string, error) {
	b, err := json.Marshal(si.stored())
	return string(b), err
}

// DecodeServer reads what EncodeServer wrote.
func DecodeServer(s string) (*ServerSignIn, error) {
	var j serverJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil || j.Server == "" || j.Token == "" {
		return nil, &tm.Error{Code: tm.ECONFIG, Message: "the server sign-in kept in the OS keyring cannot be used",
			Hint: "Sign in again (it replaces the entry): tm login --server URL"}
	}
	return j.signIn(), nil
}

// ReadServer returns the server sign-in kept in the file at path, or ENOTFOUND.
func ReadServer(path string) (*ServerSignIn, error) {
	f, err := (&Store{path: path}).read()
	if err != nil {
		return nil, err
	}
	if f.Server == nil {
		return nil, &tm.Error{Code: tm.ENOTFOUND, Message: "no server sign-in is stored in " + path}
	}
	return f.Server.signIn(), nil
}

// SaveServer keeps si in the file at path, replacing an earlier server
// sign-in and leaving the OAuth sign-ins as they are. A file that cannot
// be read is not overwritten.
func SaveServer(ctx context.Context, path string, si *ServerSignIn) error {
	return (&Store{path: path}).update(ctx, func(f *file) error {
		f.Server = si.stored()
		return nil
	})
}

// RemoveServer forgets the server sign-in in the file at path, reporting
// whether there was one. A missing file has none.
func RemoveServer(ctx context.Context, path string) (bool, error) {
	removed := false
	err := (&Store{path: path}).update(ctx, func(f *file) error {
		if f.Server == nil {
			return errUnchanged
		}
		f.Server, removed = nil, true
		return nil
	})
	return removed, err
}

// CheckWritable reports, without changing it, whether a sign-in could be
// saved in the file at path: it must be readable as a credential file, or
// absent.
func CheckWritable(path string) error {
	_, err := (&Store{path: path}).read()
	return err
}
