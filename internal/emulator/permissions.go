package emulator

import "strings"

// permissionDef is one entry of Jira's permission catalog, as mypermissions
// describes it.
type permissionDef struct {
	ID, Key, Name, Type, Description string
}

// permissionCatalog lists the permission keys Jira Cloud knows (a subset of
// GET /rest/api/3/permissions, enough that real keys other than the ones tm
// uses are accepted and answered false).
var permissionCatalog = []permissionDef{
	{"0", "ADMINISTER", "Administer Jira", "GLOBAL", "Create and administer projects, issue types, fields, workflows, and schemes for all projects. Users with this permission can perform most administration tasks, except: managing users, importing data, and editing system email settings."},
	{"44", "SYSTEM_ADMIN", "Administer Jira", "GLOBAL", "Ability to perform all administration functions. There must be at least one group with this permission."},
	{"27", "USER_PICKER", "Browse users and groups", "GLOBAL", "View and select users or groups from the user picker, and share issues. Users with this permission can see the names of all users and groups on your site."},
	{"22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "GLOBAL", "Share dashboards and filters with other users."},
	{"24", "MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "Manage group filter subscriptions", "GLOBAL", "Create and delete group filter subscriptions."},
	{"33", "BULK_CHANGE", "Make bulk changes", "GLOBAL", "Modify collections of issues at once. For example, resolve multiple issues in one step."},
	{"23", "ADMINISTER_PROJECTS", "Administer Projects", "PROJECT", "Ability to administer a project in Jira."},
	{"10", "BROWSE_PROJECTS", "Browse Projects", "PROJECT", "Ability to browse projects and the issues within them."},
	{"29", "VIEW_DEV_TOOLS", "View Development Tools", "PROJECT", "Allows users in a software project to view development-related information on the issue, such as commits, reviews and build information."},
	{"45", "VIEW_READONLY_WORKFLOW", "View Read-Only Workflow", "PROJECT", "Users with this permission may view a read-only version of a workflow."},
	{"11", "CREATE_ISSUES", "Create Issues", "PROJECT", "Ability to create issues."},
	{"12", "EDIT_ISSUES", "Edit Issues", "PROJECT", "Ability to edit issues."},
	{"46", "TRANSITION_ISSUES", "Transition Issues", "PROJECT", "Ability to transition issues."},
	{"28", "SCHEDULE_ISSUES", "Schedule Issues", "PROJECT", "Ability to set or edit an issue's due date."},
	{"25", "MOVE_ISSUES", "Move Issues", "PROJECT", "Ability to move issues between projects or between workflows of the same project (if applicable). Note the user can only move issues to a project they have the create permission for."},
	{"13", "ASSIGN_ISSUES", "Assign Issues", "PROJECT", "Ability to assign issues to other people."},
	{"17", "ASSIGNABLE_USER", "Assignable User", "PROJECT", "Users with this permission may be assigned to issues."},
	{"14", "RESOLVE_ISSUES", "Resolve Issues", "PROJECT", "Ability to resolve and reopen issues. This includes the ability to set a fix version."},
	{"18", "CLOSE_ISSUES", "Close Issues", "PROJECT", "Ability to close issues. Often useful where your developers resolve issues, and a QA department closes them."},
	{"30", "MODIFY_REPORTER", "Modify Reporter", "PROJECT", "Ability to modify the reporter when creating or editing an issue."},
	{"16", "DELETE_ISSUES", "Delete Issues", "PROJECT", "Ability to delete issues."},
	{"21", "LINK_ISSUES", "Link Issues", "PROJECT", "Ability to link issues together and create linked issues. Only useful if issue linking is turned on."},
	{"26", "SET_ISSUE_SECURITY", "Set Issue Security", "PROJECT", "Ability to set the level of security on an issue so that only people in that security level can see the issue."},
	{"31", "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", "PROJECT", "Ability to view the voters and watchers of an issue."},
	{"32", "MANAGE_WATCHERS", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue."},
	{"15", "ADD_COMMENTS", "Add Comments", "PROJECT", "Ability to comment on issues."},
	{"34", "EDIT_ALL_COMMENTS", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues."},
	{"35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues."},
	{"36", "DELETE_ALL_COMMENTS", "Delete All Comments", "PROJECT", "Ability to delete all comments made on issues."},
	{"37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on issues."},
	{"19", "CREATE_ATTACHMENTS", "Create Attachments", "PROJECT", "Users with this permission may create attachments."},
	{"38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", "PROJECT", "Users with this permission may delete all attachments."},
	{"39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", "PROJECT", "Users with this permission may delete own attachments."},
	{"20", "WORK_ON_ISSUES", "Work On Issues", "PROJECT", "Ability to log work done against an issue. Only useful if Time Tracking is turned on."},
	{"40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues."},
	{"41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues."},
	{"42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on issues."},
	{"43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on issues."},
}

var permissionByKey = func() map[string]permissionDef {
	m := make(map[string]permissionDef, len(permissionCatalog))
	for _, p := range permissionCatalog {
		m[p.Key] = p
	}
	return m
}()

// Permission keys the handlers check.
const (
	permBrowse      = "BROWSE_PROJECTS"
	permCreate      = "CREATE_ISSUES"
	permEdit        = "EDIT_ISSUES"
	permTransition  = "TRANSITION_ISSUES"
	permAssign      = "ASSIGN_ISSUES"
	permAssignable  = "ASSIGNABLE_USER"
	permComment     = "ADD_COMMENTS"
	permAdminProj   = "ADMINISTER_PROJECTS"
	permLink        = "LINK_ISSUES"
	permDelete      = "DELETE_ISSUES"
	permUserPicker  = "USER_PICKER"
	permAdminister  = "ADMINISTER"
	permSystemAdmin = "SYSTEM_ADMIN"
)

// grants answers whether grantees include u (nil: anonymous). With iss nil
// the question is asked at project level, where an issue-role grantee
// (reporter, assignee) counts for any signed-in user: Jira answers
// mypermissions that way, and the per-issue check happens when an issue is
// named.
func grants(grantees []string, u *user, p *project, iss *issue) bool {
	for _, g := range grantees {
		switch {
		case g == "anyone":
			return true
		case u == nil:
			continue
		case g == "users":
			return true
		case g == "lead":
			if p != nil && p.Lead == u.AccountID {
				return true
			}
		case g == "reporter", g == "assignee":
			if iss == nil {
				return true
			}
			if (g == "reporter" && iss.Reporter == u.AccountID) || (g == "assignee" && iss.Assignee == u.AccountID) {
				return true
			}
		case strings.HasPrefix(g, "group:"):
			if u.inGroup(g[len("group:"):]) {
				return true
			}
		case g == u.AccountID:
			return true
		}
	}
	return false
}

// can reports whether u holds the project permission key in p, for iss when
// given. Users not licensed on the site hold nothing but what "anyone"
// grants.
func (s *site) can(u *user, key string, p *project, iss *issue) bool {
	if u != nil && !s.isMember(u) {
		u = nil
	}
	if def, ok := permissionByKey[key]; ok && def.Type == "GLOBAL" {
		return s.canGlobal(u, key)
	}
	if key != permBrowse && !grants(p.Permissions[permBrowse], u, p, iss) {
		return false
	}
	return grants(p.Permissions[key], u, p, iss)
}

// canAnywhere is the project-less answer: true if any project grants it.
func (s *site) canAnywhere(u *user, key string) bool {
	for _, p := range s.projects {
		if s.can(u, key, p, nil) {
			return true
		}
	}
	return false
}

func (s *site) canGlobal(u *user, key string) bool {
	if u != nil && !s.isMember(u) {
		u = nil
	}
	if key == permSystemAdmin {
		key = permAdminister
	}
	return grants(s.global[key], u, nil, nil)
}

func (s *site) isMember(u *user) bool {
	return s.members == nil || s.members[u.AccountID]
}

// visible reports whether u may browse p.
func (s *site) visible(u *user, p *project) bool { return s.can(u, permBrowse, p, nil) }
