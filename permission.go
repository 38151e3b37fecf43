package tm

import "time"

// ServerInfo describes the Jira instance behind a connection.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"` // "Cloud", or "Server" for Data Center
	BuildNumber    int    `json:"buildNumber,omitempty"`
	ServerTitle    string `json:"serverTitle,omitempty"`
}

// Cloud reports whether the instance is Jira Cloud; Data Center says "Server".
func (s ServerInfo) Cloud() bool { return s.DeploymentType == "Cloud" }

// Account is a Jira user.
type Account struct {
	AccountID   string `json:"accountId,omitempty"` // Cloud
	Name        string `json:"name,omitempty"`      // Data Center username
	DisplayName string `json:"displayName"`
	Email       string `json:"email,omitempty"` // may be hidden by the user's privacy settings
	Active      bool   `json:"active"`
	TimeZone    string `json:"timeZone,omitempty"`
}

// Permission keys ticket-mate checks (Jira's names for them).
const (
	PermBrowseProjects    = "BROWSE_PROJECTS"
	PermCreateIssues      = "CREATE_ISSUES"
	PermAdministerProject = "ADMINISTER_PROJECTS"
	PermUserPicker        = "USER_PICKER" // "Browse users and groups", a global permission
)

// PermissionCheck is one line of a permission report.
type PermissionCheck struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Meaning  string `json:"meaning"`  // what tm can do with it
	Required bool   `json:"required"` // tm's core commands need it
	Known    bool   `json:"known"`    // false when Jira could not be asked
	Granted  bool   `json:"granted"`
}

// ScopeCheck compares the scopes tm's commands need with what the
// credential was granted, where that can be known.
type ScopeCheck struct {
	Scope   string `json:"scope"`
	Needed  string `json:"neededFor"`
	Known   bool   `json:"known"`
	Granted bool   `json:"granted"`
}

// Problem is something wrong found by a check, with the next step.
type Problem struct {
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// PermissionReport is what check-permissions found out about a connection.
type PermissionReport struct {
	AuthMode     string            `json:"authMode"`
	Endpoint     string            `json:"endpoint"` // the REST root used, e.g. https://site/rest/api/3
	Server       *ServerInfo       `json:"server,omitempty"`
	RoundTrip    time.Duration     `json:"-"`
	RoundTripMS  int64             `json:"roundTripMs"` // RoundTrip, for JSON readers
	Account      *Account          `json:"account,omitempty"`
	ProjectKey   string            `json:"projectKey,omitempty"`
	ProjectFound bool              `json:"projectFound"`
	Permissions  []PermissionCheck `json:"permissions"`
	Scopes       []ScopeCheck      `json:"scopes,omitempty"`
	Problems     []Problem         `json:"problems,omitempty"`
	// ConnectionProblem reports that checks failed for a reason other
	// than the credentials: Jira could not be reached, or answered with a
	// server error, or with something that is not Jira's answer.
	ConnectionProblem bool `json:"connectionProblem,omitempty"`
}

// OK reports whether every required check passed.
func (r *PermissionReport) OK() bool {
	if r.Account == nil || !r.ProjectFound && r.ProjectKey != "" {
		return false
	}
	for _, p := range r.Permissions {
		if p.Required && (!p.Known || !p.Granted) {
			return false
		}
	}
	return len(r.Problems) == 0
}
