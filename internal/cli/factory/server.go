package factory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/oskeyring"
)

// keyringUser is the OS keyring entry that holds the server sign-in.
const keyringUser = "server"

// StoredServer is the sign-in through a ticket-mate server and where it is kept.
type StoredServer struct {
	*credfile.ServerSignIn
	// Where is "the OS keyring" or the credential file's path.
	Where string
}

// InKeyring is StoredServer.Where for a sign-in in the OS keyring.
const InKeyring = "the OS keyring (service " + oskeyring.Service + ")"

func (f *Factory) credPath() string {
	if f.ConfigDir == "" {
		return ""
	}
	return credfile.Path(f.ConfigDir)
}

// ServerSignIn returns the stored server sign-in: the OS keyring's when
// one answers and holds it, else the credential file's; ENOTFOUND when
// neither has one.
func (f *Factory) ServerSignIn() (*StoredServer, error) {
	if f.Keyring != nil {
		v, err := f.Keyring.Get(keyringUser)
		if err == nil {
			si, err := credfile.DecodeServer(v)
			if err != nil {
				return nil, err
			}
			return &StoredServer{si, InKeyring}, nil
		}
		if !errors.Is(err, oskeyring.ErrNotFound) && !errors.Is(err, oskeyring.ErrUnavailable) {
			return nil, err
		}
	}
	path := f.credPath()
	if path == "" {
		return nil, &tm.Error{Code: tm.ENOTFOUND, Message: "no server sign-in (no OS keyring, no user config directory)"}
	}
	si, err := credfile.ReadServer(path)
	if err != nil {
		return nil, err
	}
	return &StoredServer{si, path}, nil
}

// SaveServerSignIn keeps si in the OS keyring, or in the credential file
// where no keyring answers, and returns where it went. A copy left in the
// file by an earlier sign-in is removed once the keyring holds the new one.
func (f *Factory) SaveServerSignIn(ctx context.Context, si *credfile.ServerSignIn) (string, error) {
	if f.Keyring != nil {
		v, err := credfile.EncodeServer(si)
		if err != nil {
			return "", err
		}
		if err := f.Keyring.Set(keyringUser, v); err == nil {
			if path := f.credPath(); path != "" && credfile.CheckWritable(path) == nil {
				_, _ = credfile.RemoveServer(ctx, path)
			}
			return InKeyring, nil
		}
	}
	path := f.credPath()
	if path == "" {
		return "", &tm.Error{Code: tm.ECONFIG, Message: "no OS keyring answered and there is no user config directory to keep the sign-in in",
			Hint: "Set HOME (or XDG_CONFIG_HOME) so tm can keep it in $XDG_CONFIG_HOME/ticket-mate/" + credfile.FileName + "."}
	}
	if err := credfile.SaveServer(ctx, path, si); err != nil {
		return "", err
	}
	return path, nil
}

// CheckServerStore reports whether SaveServerSignIn can succeed, before a
// person spends time approving a sign-in that could not be kept.
func (f *Factory) CheckServerStore() error {
	if f.Keyring != nil {
		if _, err := f.Keyring.Get(keyringUser); err == nil || errors.Is(err, oskeyring.ErrNotFound) {
			return nil
		}
	}
	if path := f.credPath(); path != "" {
		return credfile.CheckWritable(path)
	}
	return nil
}

// RemoveServerSignIn forgets the server sign-in wherever it is kept and
// says where it was.
func (f *Factory) RemoveServerSignIn(ctx context.Context) ([]string, error) {
	var from []string
	if f.Keyring != nil {
		if err := f.Keyring.Delete(keyringUser); err == nil {
			from = append(from, InKeyring)
		}
	}
	if path := f.credPath(); path != "" {
		removed, err := credfile.RemoveServer(ctx, path)
		if err != nil && len(from) > 0 {
			// The sign-in was in the keyring; a damaged file is not this command's business.
			return from, nil
		}
		if err != nil {
			return from, err
		}
		if removed {
			from = append(from, path)
		}
	}
	return from, nil
}

// ServerSignInInUse returns the server sign-in when tm commands use it with
// cfg: one is stored and cfg names no credentials of its own.
func (f *Factory) ServerSignInInUse(cfg *config.Config) (*StoredServer, bool) {
	if explicitCredentials(cfg) {
		return nil, false
	}
	ss, err := f.ServerSignIn()
	return ss, err == nil
}

// explicitCredentials reports whether the configuration names credentials
// of its own, which win over a server sign-in.
func explicitCredentials(cfg *config.Config) bool {
	return cfg.AuthMode == config.AuthOAuth || cfg.AuthMode == config.AuthBearer || !cfg.APIKey.IsZero()
}

// withServerHint adds the other way in to a configuration that names no
// credentials at all: the team server.
func withServerHint(cfg *config.Config, err error) error {
	var te *tm.Error
	if explicitCredentials(cfg) || !errors.As(err, &te) {
		return err
	}
	e := *te
	e.Hint = strings.TrimRight(e.Hint, "\n") + "\nOr, if your team runs a ticket-mate server, sign in through it instead: tm login --server URL"
	return &e
}

// serverRoute is how the Jira client reaches Jira after tm login --server:
// the server's gateway, which forwards Jira REST calls with the person's
// own Atlassian access token, as if it were Atlassian's API gateway.
type serverRoute struct {
	*StoredServer
	CloudID string
}

// GatewayURL is the REST root on the server for cloudID.
func GatewayURL(server, cloudID string) string {
	return strings.TrimRight(server, "/") + "/gateway/" + cloudID
}

func (f *Factory) serverJira(j *Jira, ss *StoredServer, opts []jira.Option) {
	id := ss.CloudID
	if j.Config.CloudID != "" {
		id = j.Config.CloudID
	}
	j.server = &serverRoute{StoredServer: ss, CloudID: id}
	j.CloudID, j.CloudIDFrom = id, config.CloudIDGrant
	opts = append(opts, jira.WithGateway(), jira.WithSiteURL(ss.SiteURL))
	j.Client = jira.NewClient(f.jiraHTTPClient(), GatewayURL(ss.Server, id), jira.BearerAuth{Token: ss.Token}, opts...)
}

// Label says how tm authenticates, for people.
func (r *serverRoute) Label() string {
	who := r.Account.Name
	if r.Account.Email != "" {
		who += " (" + r.Account.Email + ")"
	}
	return fmt.Sprintf("ticket-mate server %s (signed in as %s, token %s, scope %s) to %s (%s, cloud id %s); sign-in kept in %s",
		r.Server, strings.TrimSpace(who), r.Token, strings.Join(r.Scopes, " "), r.SiteName, r.SiteURL, r.CloudID, r.Where)
}

// Explain turns the server's refusals into the command that fixes them.
func (r *serverRoute) Explain(err error) error {
	var je *jira.Error
	if !errors.As(err, &je) {
		return nil
	}
	switch {
	case je.StatusCode == http.StatusUnauthorized && je.OAuthError != "invalid_token" && !je.ScopeMismatch():
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: "your Jira connection on the ticket-mate server " + r.Server + " has expired or was revoked",
			Hint:    "Open " + r.Server + "/ in your browser and Connect Jira, then run the command again. Your terminal's sign-in stays."}
	case je.OAuthError == "invalid_token":
		return ServerSignInGone(r.Server, r.ExpiresAt, err)
	case je.StatusCode == http.StatusNotFound && strings.Contains(strings.Join(je.Messages(), " "), "does not reach the site"):
		return &tm.Error{Code: tm.EFORBIDDEN, Err: err,
			Message: "your Jira connection on " + r.Server + " does not reach the site with cloud id " + r.CloudID,
			Hint:    "Remove ATLASSIAN_CLOUD_ID to use the site chosen at sign-in, or choose the site on " + r.Server + "/ and run: tm login --server " + r.Server}
	}
	return nil
}

// ServerSignInGone is the error for a server token that is no longer
// honoured: revoked in the dashboard, expired, or the server forgot it.
func ServerSignInGone(server string, expires time.Time, cause error) error {
	why := "it was revoked on the server's \"Signed-in devices and tokens\" page, or it has expired"
	if !expires.IsZero() && time.Now().After(expires) {
		why = "it expired on " + expires.Local().Format("2 Jan 2006")
	}
	return &tm.Error{Code: tm.EUNAUTHORIZED, Err: cause,
		Message: "the ticket-mate server " + server + " no longer accepts this terminal's sign-in: " + why,
		Hint:    "Sign in again: tm login --server " + server}
}
