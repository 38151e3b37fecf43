package factory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Jira is an authenticated Jira client built from the configuration, with
// what the commands need to explain its failures in the configuration's
// terms (variable names, the token's shape, the fix to run).
type Jira struct {
	*jira.Client
	Config *config.Config
	// CloudIDFrom says where a gateway route got its cloud id
	// (config.CloudIDConfigured or config.CloudIDTenantInfo); "" on the site.
	CloudIDFrom string
	CloudID     string

	mu      sync.Mutex
	learned string // the cloud id found by the scoped-token fallback

	oauth  *oauthRoute  // set in OAUTH mode: the stored sign-in and its site
	server *serverRoute // set after tm login --server: the server's gateway
}

// scopedTokenPrefix starts every current Atlassian API token; legacy
// tokens (24 characters) cannot be scoped.
const scopedTokenPrefix = "ATATT3"

// Jira builds the client for cfg: the REST root and credentials of its auth
// mode, the cloud id (configured, cached, or discovered from the site), and
// the fallback through the API gateway for a token that may be scoped.
// With cfg.Debug (--debug, TM_DEBUG) it writes one line per request to stderr.
func (f *Factory) Jira(ctx context.Context, cfg *config.Config) (*Jira, error) {
	j := &Jira{Config: cfg}
	opts := []jira.Option{jira.WithNotifier(j.notifier(f))}
	if cfg.Debug {
		opts = append(opts, jira.WithTrace(debugTrace(f)))
	}
	if !explicitCredentials(cfg) {
		ss, err := f.ServerSignIn()
		if err == nil {
			f.serverJira(j, ss, opts)
			return j, nil
		}
		if tm.ErrorCode(err) != tm.ENOTFOUND {
			return nil, err
		}
	}
	if err := cfg.CheckRequired(); err != nil {
		return nil, withServerHint(cfg, err)
	}
	hc := f.jiraHTTPClient()
	var auth jira.Auth
	base := cfg.BaseURL
	switch {
	case cfg.AuthMode == config.AuthOAuth:
		o, err := f.oauthAuth(ctx, cfg)
		if err != nil {
			return nil, err
		}
		auth, hc, base, j.oauth = o.Auth, o.HTTPClient, o.BaseURL, o
		j.CloudID, j.CloudIDFrom = o.Site.CloudID, o.CloudIDFrom
		opts = append(opts, jira.WithGateway(), jira.WithSiteURL(o.Site.URL))
	case cfg.AuthMode == config.AuthBearer:
		auth = jira.BearerAuth{Token: cfg.APIKey}
		opts = append(opts, jira.WithDataCenter())
	case cfg.UseCloudAPI:
		auth = jira.BasicAuth{Email: cfg.Email, Token: cfg.APIKey}
		j.CloudID, j.CloudIDFrom = cfg.CloudID, config.CloudIDConfigured
		if j.CloudID == "" {
			id, err := f.cloudID(ctx, cfg.BaseURL, opts)
			if err != nil {
				return nil, j.explainCloudID(err)
			}
			j.CloudID, j.CloudIDFrom = id, config.CloudIDTenantInfo
		}
		base = jira.GatewayURL(cfg.APIURL, j.CloudID)
		opts = append(opts, jira.WithGateway(), jira.WithSiteURL(cfg.BaseURL))
	default:
		auth = jira.BasicAuth{Email: cfg.Email, Token: cfg.APIKey}
		if strings.HasPrefix(cfg.APIKey.Reveal(), scopedTokenPrefix) {
			siteOpts := opts
			opts = append(opts, jira.WithSiteURL(cfg.BaseURL), jira.WithGatewayFallback(func(ctx context.Context) (string, error) {
				id, err := f.cloudID(ctx, cfg.BaseURL, siteOpts)
				if err != nil {
					return "", err
				}
				j.mu.Lock()
				j.learned = id
				j.mu.Unlock()
				return jira.GatewayURL(cfg.APIURL, id), nil
			}))
		}
	}
	j.Client = jira.NewClient(hc, base, auth, opts...)
	return j, nil
}

// AuthLabel says how tm authenticates, for people.
func (j *Jira) AuthLabel() string {
	if j.oauth != nil {
		return j.oauth.Label()
	}
	if j.server != nil {
		return j.server.Label()
	}
	c := j.Config
	switch {
	case c.AuthMode == config.AuthBearer:
		return "Data Center personal access token (Bearer) " + c.APIKey.String()
	case j.ViaGateway():
		from := "configured"
		if j.CloudIDFrom == config.CloudIDTenantInfo {
			from = "discovered from the site"
		} else if j.CloudIDFrom == "" {
			from = "found after the site refused the token"
		}
		return fmt.Sprintf("API token (Basic, %s) %s through the Atlassian API gateway, cloud id %s (%s)", c.Email, c.APIKey, j.gatewayCloudID(), from)
	}
	return fmt.Sprintf("API token (Basic, %s) %s on the site", c.Email, c.APIKey)
}

func (j *Jira) gatewayCloudID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.learned != "" {
		return j.learned
	}
	return j.CloudID
}

// cloudID returns the site's cloud id from the cache, or asks the site
// (_edge/tenant_info, no credentials) and caches the answer.
func (f *Factory) cloudID(ctx context.Context, site string, opts []jira.Option) (string, error) {
	name := "cloud-id-" + CacheKey(site)
	var cached struct {
		Site    string `json:"site"`
		CloudID string `json:"cloudId"`
	}
	if f.ReadCache(name, cloudIDTTL, &cached) && cached.Site == site && cached.CloudID != "" {
		return cached.CloudID, nil
	}
	id, err := jira.NewClient(f.jiraHTTPClient(), site, jira.Anonymous{}, opts...).CloudID(ctx)
	if err != nil {
		return "", err
	}
	cached.Site, cached.CloudID = site, id
	_ = f.WriteCache(name, cached) // a cache that cannot be written costs a request next time, nothing more
	return id, nil
}

// cloudIDTTL: a site's cloud id does not change; the TTL only bounds how
// long a site URL that was moved to another tenant keeps its old id.
const cloudIDTTL = 30 * 24 * time.Hour

// CacheKey turns the parts that identify a cached thing (a base URL, a
// project key) into a file-name-safe key.
func CacheKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:12])
}

// ReadCache decodes the cache file name into v when it exists and is
// younger than maxAge. A missing, stale or unreadable entry is a miss.
func (f *Factory) ReadCache(name string, maxAge time.Duration, v any) bool {
	if f.CacheDir == "" {
		return false
	}
	p := filepath.Join(f.CacheDir, name+".json")
	st, err := os.Stat(p)
	if err != nil || f.now().Sub(st.ModTime()) > maxAge {
		return false
	}
	data, err := os.ReadFile(p)
	return err == nil && json.Unmarshal(data, v) == nil
}

// WriteCache stores v as the cache file name, readable by the user only,
// replacing it atomically so a concurrent reader never sees half a file.
func (f *Factory) WriteCache(name string, v any) error {
	if f.CacheDir == "" {
		return errors.New("no cache directory")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.CacheDir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.CacheDir, name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	p := filepath.Join(f.CacheDir, name+".json")
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	now := f.now()
	return os.Chtimes(p, now, now)
}

// DropCache removes a cache entry (Jira rejected what it held).
func (f *Factory) DropCache(name string) {
	if f.CacheDir != "" {
		_ = os.Remove(filepath.Join(f.CacheDir, name+".json"))
	}
}

func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// debugTrace writes one line per attempt. Traces carry no headers, so no
// credential can reach the line.
func debugTrace(f *Factory) func(jira.Trace) {
	return func(t jira.Trace) {
		status := "no response"
		if t.Status != 0 {
			status = fmt.Sprintf("%d", t.Status)
		}
		line := fmt.Sprintf("debug: %s %s → %s in %s", t.Method, t.URL, status, t.Duration.Round(time.Millisecond))
		if t.Location != "" {
			line += " → redirect followed to " + t.Location
		}
		if t.Attempt > 1 {
			line += fmt.Sprintf(" (retry %d)", t.Attempt-1)
		}
		if t.Err != nil {
			line += ": " + t.Err.Error()
		}
		f.tell(line)
	}
}

// notifier tells people on stderr what the client is doing about a problem.
func (j *Jira) notifier(f *Factory) func(jira.Notice) {
	return func(n jira.Notice) {
		var msg string
		switch n.Kind {
		case jira.NoticeRateLimited:
			reason := n.Reason
			if reason == "" {
				reason = "no reason given"
			}
			msg = fmt.Sprintf("Jira is rate-limiting requests (%d, RateLimit-Reason: %s); waiting %s before retrying…",
				n.Status, reason, n.Wait.Round(100*time.Millisecond))
		case jira.NoticeRetry:
			what := fmt.Sprintf("%d %s", n.Status, http.StatusText(n.Status))
			if n.Status == 0 || n.Status/100 == 2 {
				what = n.Reason
			}
			msg = fmt.Sprintf("%s %s failed (%s); retrying in %s…", n.Method, n.URL, what, n.Wait.Round(100*time.Millisecond))
		case jira.NoticeLookup:
			msg = "Jira did not confirm the create; checking whether the ticket was made before doing anything else…"
		case jira.NoticeGateway:
			id := j.gatewayCloudID()
			msg = fmt.Sprintf("%s refused the API token, but the Atlassian API gateway accepted it: it is a scoped token, which works only there.\n"+
				"To go there directly (one request less each time), add to .env.local:\n"+
				"  ATLASSIAN_USE_CLOUD_API=true\n  ATLASSIAN_CLOUD_ID=%s", j.Config.BaseURL, id)
		default:
			return
		}
		f.tell(msg)
	}
}

// About is what a failed call was for, so its advice can be specific.
type About struct {
	Project        string // the project key the call was about
	Issue          string // the issue key the call was about
	User           string // the user asked for
	ListingProject bool   // the call listed projects
}

// Explain turns a failed Jira call into a *tm.Error that says what
// happened, why it probably happened and what to do next. Refused
// credentials and an unreachable Jira are explained here, in the
// configuration's terms; every other refusal by the ticket service's one
// explanation, with the command to run next. Errors that are not from the
// client pass through.
func (j *Jira) Explain(err error, about About) error { return j.Advise(j.Describe(err, about)) }

// Describe is Explain without the command to run next, for a front end
// that is not the command line: credentials in the configuration's terms,
// every other refusal in the ticket service's words.
func (j *Jira) Describe(err error, about About) error {
	var je *jira.Error
	if err == nil || !errors.As(err, &je) {
		return err
	}
	var te *tm.Error
	if errors.As(err, &te) {
		return err
	}
	if j.oauth != nil {
		if e := j.oauth.Explain(err); e != nil {
			return e
		}
	}
	if j.server != nil {
		if e := j.server.Explain(err); e != nil {
			return e
		}
	}
	detail := strings.Join(je.Messages(), "; ")
	switch {
	case je.ScopeMismatch():
		scope := scopeFor(je.Method, je.URL)
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: fmt.Sprintf("The token is valid but lacks the scope %s, which %s needs (gateway: %q)", scope, pathOf(je.URL), je.Message),
			Hint: "Create a scoped API token with the scopes tm needs — " + strings.Join(NeededScopes, ", ") + " — at " + config.APITokensURL +
				", put it in ATLASSIAN_API_KEY, then run: tm check-permissions"}
	case je.LoginReason == "AUTHENTICATION_DENIED":
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: "Jira refused the login without checking the credentials (X-Seraph-LoginReason: AUTHENTICATION_DENIED)",
			Hint: "This happens after several failed logins (Jira then asks for a CAPTCHA). Sign in once in a browser at " +
				j.Config.BaseURL + " to clear it, check the credentials, then run: tm check-permissions"}
	case je.AuthFailed():
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err, Message: j.authMessage(je), Hint: j.authHint(je)}
	case je.StatusCode == 0 && !je.Uncertain && !errors.As(je, new(*jira.StallError)):
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Could not reach Jira at %s: %s", j.Endpoint(), je.Status()),
			Hint:    "Check ATLASSIAN_BASE_URL (tm env-check), your network and any proxy (HTTPS_PROXY), then try again."}
	case je.OAuthError == "invalid_client":
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: "Atlassian refused the OAuth app (invalid_client): " + detail,
			Hint: "Check ATLASSIAN_CLIENT_ID and ATLASSIAN_CLIENT_SECRET in .env.local against the app at https://developer.atlassian.com/console/myapps/,\n" +
				"check that ATLASSIAN_REDIRECT_URI (" + j.Config.RedirectURI + ") is the app's callback URL,\n" +
				"ask your Atlassian admin to approve the app if it is company-managed, and check its scopes."}
	case (je.StatusCode == http.StatusNotFound || je.StatusCode == http.StatusForbidden) && about.ListingProject:
		return &tm.Error{Code: je.Code(), Err: err,
			Message: fmt.Sprintf("Jira refused to list projects (%d %s)", je.StatusCode, http.StatusText(je.StatusCode)),
			Hint:    cloudAPIHint(j.Config)}
	}
	return j.adviseConnection(je, ticket.Explain(err, ticket.About{Project: about.Project, Issue: about.Issue, User: about.User, Site: j.SiteURL()}))
}

// Advise adds the command to run next to an explained refusal: the
// permission check for a refusal, the project list for an unknown project.
func (j *Jira) Advise(err error) error {
	var te *tm.Error
	var d *ticket.Detail
	if !errors.As(err, &te) || !errors.As(err, &d) {
		return err
	}
	project := firstNonEmpty(d.Project, j.Config.ProjectKey)
	var next string
	switch {
	case te.Code == tm.EFORBIDDEN:
		next = "Run: tm check-permissions -p " + project + " — it shows which permission is missing."
	case te.Code == tm.ENOTFOUND && d.Field == "project":
		next = "List the projects you can see with: tm ls-projects"
	default:
		return err
	}
	if strings.Contains(te.Hint, next) {
		return err
	}
	out := *te
	out.Hint = strings.TrimLeft(te.Hint+"\n"+next, "\n")
	return &out
}

// adviseConnection adds, to an explained failure that is not Jira's
// refusal — a redirect not followed, a web page, a stall — where to look
// in this configuration: both URLs of a redirect, ATLASSIAN_BASE_URL, and
// the command's time limit.
func (j *Jira) adviseConnection(je *jira.Error, err error) error {
	var te *tm.Error
	if !errors.As(err, &te) || je.Uncertain {
		return err
	}
	var redirect *tm.RedirectError
	var stall *jira.StallError
	var more string
	switch {
	case errors.As(je, &redirect):
		more = fmt.Sprintf("It pointed from %s to %s (%s).\n"+
			"Open %s in a browser to see where it leads. If Jira really lives at the new address, set ATLASSIAN_BASE_URL (now %s) to it;\n"+
			"tm sends credentials only to the origin configured there. Then run: tm check-permissions",
			redirect.From, redirect.To, redirect.Reason, redirect.From, j.Config.BaseURL)
	case je.HTML:
		more = "Open " + je.URL + " in a browser to see the page, and set ATLASSIAN_BASE_URL (now " + j.Config.BaseURL +
			") to the address Jira's REST API answers on; then run: tm check-permissions"
	case errors.As(je, &stall) && stall.Connected:
		more = "A command gives up after " + j.timeoutText() + "."
	case errors.As(je, &stall):
		more = "Check ATLASSIAN_BASE_URL (tm env-check), VPN and HTTPS_PROXY. A command gives up after " + j.timeoutText() + "."
	default:
		return err
	}
	out := *te
	out.Hint = strings.TrimLeft(te.Hint+"\n"+more, "\n")
	return &out
}

// timeoutText is the command's time limit and how to change it.
func (j *Jira) timeoutText() string {
	d := j.Config.Timeout
	if d <= 0 {
		d = time.Minute
	}
	return d.String() + " (--timeout or TM_TIMEOUT to change)"
}

// ProjectKey returns the configured project key as Jira spells keys —
// upper case — telling w when the configured spelling differed.
func (j *Jira) ProjectKey(w io.Writer) string {
	k := strings.TrimSpace(j.Config.ProjectKey)
	if up := strings.ToUpper(k); up != k {
		fmt.Fprintf(w, "Note: Jira project keys are upper case; using %s for %q.\n", up, k)
		k = up
	}
	return k
}

// NeededScopes are the classic scopes tm's commands use.
var NeededScopes = []string{"read:jira-work", "write:jira-work", "read:jira-user"}

// scopeFor is the classic scope an operation needs (contract §A9).
func scopeFor(method, u string) string {
	p := pathOf(u)
	switch {
	case method != http.MethodGet:
		return "write:jira-work"
	case strings.HasSuffix(p, "/myself"), strings.Contains(p, "/user/"):
		return "read:jira-user"
	}
	return "read:jira-work"
}

func pathOf(u string) string {
	if i := strings.Index(u, "/rest/api/"); i >= 0 {
		u = u[i:]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (j *Jira) authMessage(je *jira.Error) string {
	where := "the site " + j.Config.BaseURL
	if je.Gateway {
		where = "the Atlassian API gateway"
	}
	reason := fmt.Sprintf("%d %s", je.StatusCode, http.StatusText(je.StatusCode))
	if je.LoginReason != "" {
		reason += ", X-Seraph-LoginReason: " + je.LoginReason
	}
	if j.Config.AuthMode == config.AuthBearer {
		return fmt.Sprintf("Authentication failed: %s refused the personal access token (%s)", where, reason)
	}
	return fmt.Sprintf("Authentication failed: %s refused the API token for %s (%s)", where, j.Config.Email, reason)
}

// authHint is the troubleshooting list for a refused credential, most
// likely cause first, from what the configuration shows.
func (j *Jira) authHint(je *jira.Error) string {
	c := j.Config
	tok := c.APIKey.Reveal()
	n := utf8.RuneCountInString(tok)
	var steps []string
	if c.AuthMode == config.AuthBearer {
		steps = append(steps,
			"Check the personal access token has not expired or been revoked (Jira: profile → Personal Access Tokens); create a new one there if so.",
			fmt.Sprintf("Check ATLASSIAN_BASE_URL (%s) is your Jira Data Center, and that ATLASSIAN_AUTH_MODE=BEARER is meant (Jira Cloud uses PAT mode with an email).", c.BaseURL))
		return numbered(steps)
	}
	switch {
	case !strings.HasPrefix(tok, scopedTokenPrefix):
		steps = append(steps, fmt.Sprintf("ATLASSIAN_API_KEY is %d characters and does not start with %s: it is an old-format token (or not an API token at all).\n"+
			"   Current tokens start with ATATT3x and are about 192 characters. Create a new one at %s and put it in .env.local.", n, scopedTokenPrefix, config.APITokensURL))
	case n < 150:
		steps = append(steps, fmt.Sprintf("ATLASSIAN_API_KEY is only %d characters; API tokens are about 192. It was probably cut off when copied: copy it again, or create a new one at %s.", n, config.APITokensURL))
	default:
		steps = append(steps, fmt.Sprintf("Create a new API token at %s (tokens expire after at most a year, and an expired token is refused exactly like a wrong one) and put it in ATLASSIAN_API_KEY.", config.APITokensURL))
	}
	steps = append(steps,
		fmt.Sprintf("Check ATLASSIAN_EMAIL (%s) is the email of the Atlassian account that created the token.", c.Email),
		fmt.Sprintf("Check ATLASSIAN_BASE_URL (%s) is your site, e.g. https://your-site.atlassian.net.", c.BaseURL))
	if strings.HasPrefix(tok, scopedTokenPrefix) {
		if je.Gateway || je.Fallback != nil {
			steps = append(steps, "A scoped token works only through the gateway, and tm tried it there as well: it was refused there too, so the token itself (or the email) is wrong.")
		} else {
			steps = append(steps, "A scoped API token works only through the API gateway: set ATLASSIAN_USE_CLOUD_API=true (and ATLASSIAN_CLOUD_ID) in .env.local.")
		}
	}
	steps = append(steps, "Then run: tm env-check && tm check-permissions")
	return numbered(steps)
}

func numbered(steps []string) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d. %s", i+1, s)
	}
	return b.String()
}

// cloudAPIHint is the advice when Jira lists no projects or refuses to.
func cloudAPIHint(c *config.Config) string {
	var steps []string
	if !c.UseCloudAPI && c.AuthMode == config.AuthPAT {
		steps = append(steps, "Enable Cloud API mode in .env.local (needed for scoped API tokens):\n"+
			"   ATLASSIAN_USE_CLOUD_API=true\n   ATLASSIAN_CLOUD_ID=<your cloud id: "+c.BaseURL+"/_edge/tenant_info shows it>")
	}
	p := firstNonEmpty(c.ProjectKey, config.DefaultProjectKey)
	steps = append(steps,
		"Check your project permissions: tm check-permissions -p "+p,
		"Make sure you have the \"Browse Projects\" permission in the projects you expect (a Jira admin grants it).")
	return numbered(steps)
}

// NoProjectsHint is the advice when Jira answers with no project at all.
func (j *Jira) NoProjectsHint() string { return cloudAPIHint(j.Config) }

func (j *Jira) explainCloudID(err error) error {
	return &tm.Error{Code: tm.ECONFIG, Err: err,
		Message: "ATLASSIAN_USE_CLOUD_API=true, but the cloud id of " + j.Config.BaseURL + " could not be found: " + err.Error(),
		Hint: "Set ATLASSIAN_CLOUD_ID in .env.local (Atlassian Admin → your site shows it; on Cloud, " +
			j.Config.BaseURL + "/_edge/tenant_info returns it), and check ATLASSIAN_BASE_URL is your Jira Cloud site."}
}

// Connect loads the configuration with the command's flag overrides and
// builds the Jira client from it.
// A command that works in a project (it passes the project flag) gets its
// key checked here, before any request: a key Jira cannot have is refused.
func (f *Factory) Connect(ctx context.Context, flags ...config.Flag) (*Jira, error) {
	cfg, err := f.Config(flags...)
	if err != nil {
		return nil, err
	}
	for _, fl := range flags {
		if fl.Key == config.KeyProjectKey {
			if err := checkProjectKey(fl.Value, cfg); err != nil {
				return nil, err
			}
		}
	}
	return f.Jira(ctx, cfg)
}

// checkProjectKey refuses a project key that cannot be one: from the flag
// a usage error, from the configuration a configuration error.
func checkProjectKey(flag string, cfg *config.Config) error {
	key := strings.ToUpper(strings.TrimSpace(cfg.ProjectKey))
	if config.ValidProjectKey(key) {
		return nil
	}
	msg := fmt.Sprintf("%q cannot be a Jira project key: keys are an upper-case letter followed by letters, digits or underscores, such as SPACE2", cfg.ProjectKey)
	hint := "Use the prefix of the project's issue keys (SPACE2-123 → SPACE2); tm ls-projects lists the keys you can use."
	if flag != "" {
		return Usagef(&tm.Error{Code: tm.EINVALID, Message: "-p/--project: " + msg, Hint: hint})
	}
	return &tm.Error{Code: tm.ECONFIG, Message: config.KeyProjectKey + ": " + msg, Hint: hint + " Fix ATLASSIAN_PROJECT_KEY (tm env-debug shows where it is set)."}
}
