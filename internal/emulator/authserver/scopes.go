package authserver

import (
	"strings"
	"sync"
)

// scopeView is one line of the consent page's permission list.
type scopeView struct{ Name, Title, Description string }

// classicScopes describes the scopes a person is most likely to see, in our
// own words after Atlassian's consent screen.
var classicScopes = sync.OnceValue(func() map[string][2]string {
	return map[string][2]string{
		"read:jira-work":            {"View Jira issue data", "Read projects and issues, search for issues, and read what hangs off them: comments, attachments, worklogs."},
		"write:jira-work":           {"Create and manage issues", "Create, edit and delete issues, post comments and log work as you."},
		"read:jira-user":            {"View user profiles", "See the names, avatars and, where visible, email addresses of Jira users you can see."},
		"manage:jira-project":       {"Manage project settings", "Change project settings and create project-level objects such as versions and components."},
		"manage:jira-configuration": {"Manage Jira global settings", "Take Jira administration actions, such as creating custom fields or editing workflows."},
		"manage:jira-webhook":       {"Manage Jira webhooks", "Register, refresh and delete the webhooks this app declares."},
		"manage:jira-data-provider": {"Manage development and release information", "Send build, deployment and development information to Jira."},
		"read:me":                   {"View your profile", "Read your name, email address, avatar and account id."},
		"read:account":              {"View user profiles", "Read profile information of Atlassian accounts."},
		"offline_access":            {"Keep access while you are away", "Stay signed in to the data you allow here, even when you are not using the app, until you revoke it."},
	}
})

// describeScope returns the consent line for a scope. Granular scopes
// (verb:entity:product) get a description built from their parts; anything
// else is shown by name only.
func describeScope(name string) scopeView {
	if d, ok := classicScopes()[name]; ok {
		return scopeView{Name: name, Title: d[0], Description: d[1]}
	}
	parts := strings.Split(name, ":")
	if len(parts) != 3 {
		return scopeView{Name: name, Title: name}
	}
	verb, ok := map[string]string{"read": "View", "write": "Create and update", "delete": "Delete", "manage": "Manage"}[parts[0]]
	if !ok {
		return scopeView{Name: name, Title: name}
	}
	entity := strings.NewReplacer("-", " ", ".", " ").Replace(parts[1])
	product := map[string]string{"jira": "Jira", "confluence": "Confluence", "jira-service-management": "Jira Service Management"}[parts[2]]
	if product == "" {
		product = parts[2]
	}
	return scopeView{Name: name, Title: verb + " " + entity, Description: verb + " " + entity + " data in " + product + "."}
}

// productScope reports whether a scope belongs to a site's product, and so
// appears in accessible-resources; identity and Auth0 scopes do not.
func productScope(name string) bool {
	switch name {
	case scopeOffline, scopeReadMe, "read:account":
		return false
	}
	return true
}

func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }
