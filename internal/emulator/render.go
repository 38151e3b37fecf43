package emulator

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// jiraTime is Jira's timestamp layout: milliseconds and an offset without
// a colon (2021-01-17T12:34:00.000+0000).
const jiraTime = "2006-01-02T15:04:05.000-0700"

func fmtTime(t time.Time) string { return t.UTC().Format(jiraTime) }

type obj = map[string]any

func avatarURL(u *user, size int) string {
	n := strconv.Itoa(size)
	return "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/" + u.avatar + "-1.png?size=" + n + "&s=" + n
}

func (c *call) avatars(u *user) obj {
	if c.e.dc {
		base := c.self() + "/secure/useravatar?ownerId=" + u.Username + "&size="
		return obj{"16x16": base + "xsmall", "24x24": base + "small", "32x32": base + "medium", "48x48": base + "large"}
	}
	return obj{"16x16": avatarURL(u, 16), "24x24": avatarURL(u, 24), "32x32": avatarURL(u, 32), "48x48": avatarURL(u, 48)}
}

// userSelf is the user's REST URL.
func (c *call) userSelf(u *user) string {
	if c.e.dc {
		return c.api() + "/user?username=" + u.Username
	}
	return c.api() + "/user?accountId=" + u.AccountID
}

// userDetails is the short user shape embedded in issues and comments
// (the document's UserDetails: no locale).
func (c *call) userDetails(u *user) obj {
	if u == nil {
		return nil
	}
	o := obj{
		"self": c.userSelf(u), "emailAddress": u.Email, "avatarUrls": c.avatars(u),
		"displayName": u.DisplayName, "active": !u.Inactive, "timeZone": u.TimeZone,
	}
	c.userIdentity(o, u)
	return o
}

// fullUser is the document's User: myself, user search, project lead.
func (c *call) fullUser(u *user) obj {
	o := c.userDetails(u)
	o["locale"] = u.Locale
	return o
}

// userIdentity sets how the user is named: accountId on Cloud (name and key
// empty on v2, as GDPR left them), name and key on Data Center.
func (c *call) userIdentity(o obj, u *user) {
	switch {
	case c.e.dc:
		o["name"], o["key"] = u.Username, u.Key
	case c.v3():
		o["accountId"], o["accountType"] = u.AccountID, u.AccountType
	default:
		o["accountId"], o["accountType"] = u.AccountID, u.AccountType
		o["name"], o["key"] = "", ""
	}
}

func (c *call) userRef(accountID string) obj {
	if accountID == "" {
		return nil
	}
	return c.userDetails(c.e.userByID[accountID])
}

func (c *call) projectAvatars(p *project) obj {
	base := c.self() + "/rest/api/" + c.ver + "/universal_avatar/view/type/project/avatar/10" + p.ID[len(p.ID)-3:] + "?size="
	return obj{"16x16": base + "xsmall", "24x24": base + "small", "32x32": base + "medium", "48x48": base + "large"}
}

// projectRef is the short project shape inside issues.
func (c *call) projectRef(p *project) obj {
	return obj{
		"self": c.api() + "/project/" + p.ID, "id": p.ID, "key": p.Key, "name": p.Name,
		"projectTypeKey": p.TypeKey, "simplified": p.TeamManaged, "avatarUrls": c.projectAvatars(p),
	}
}

// projectSummary is a Cloud project without expansions: the JSON of
// projectObj(p, nil, false) field for field (in the order encoding/json
// writes a map's keys), built and encoded at a fraction of the cost of the
// map — a page of project/search is a hundred of them.
type projectSummary struct {
	AvatarURLs     avatarURLs `json:"avatarUrls"`
	Expand         string     `json:"expand"`
	ID             string     `json:"id"`
	IsPrivate      bool       `json:"isPrivate"`
	Key            string     `json:"key"`
	Name           string     `json:"name"`
	ProjectTypeKey string     `json:"projectTypeKey"`
	Properties     struct{}   `json:"properties"`
	Self           string     `json:"self"`
	Simplified     bool       `json:"simplified"`
	Style          string     `json:"style"`
}

type avatarURLs struct {
	XSmall string `json:"16x16"`
	Small  string `json:"24x24"`
	Medium string `json:"32x32"`
	Large  string `json:"48x48"`
}

const projectExpand = "description,lead,issueTypes,url,projectKeys,permissions,insight"

func (c *call) projectSummary(p *project) projectSummary {
	base := c.self() + "/rest/api/" + c.ver + "/universal_avatar/view/type/project/avatar/10" + p.ID[len(p.ID)-3:] + "?size="
	return projectSummary{
		AvatarURLs: avatarURLs{base + "xsmall", base + "small", base + "medium", base + "large"},
		Expand:     projectExpand, ID: p.ID, IsPrivate: p.Private, Key: p.Key, Name: p.Name,
		ProjectTypeKey: p.TypeKey, Self: c.api() + "/project/" + p.ID, Simplified: p.TeamManaged, Style: p.category,
	}
}

// projectObj is the Project shape of project/search and project/{key};
// expand holds the requested expansions.
func (c *call) projectObj(p *project, expand map[string]bool, full bool) obj {
	o := c.projectRef(p)
	o["expand"] = projectExpand
	o["style"] = p.category
	o["isPrivate"] = p.Private
	o["properties"] = obj{}
	if c.e.dc {
		delete(o, "simplified")
		delete(o, "isPrivate")
		delete(o, "style")
	}
	if full || expand["description"] {
		o["description"] = p.Description
	}
	if full || expand["lead"] {
		o["lead"] = c.fullUser(c.e.userByID[p.Lead])
	}
	if full || expand["issueTypes"] || expand["issuetypes"] {
		types := make([]any, 0, len(p.types))
		for _, t := range p.types {
			types = append(types, c.issueTypeObj(t))
		}
		o["issueTypes"] = types
	}
	if full || expand["url"] {
		o["url"] = c.siteURL() + "/browse/" + p.Key
	}
	if expand["insight"] {
		c.e.mu.RLock()
		n, last := 0, time.Time{}
		for _, is := range c.site.issues {
			if is.ProjectID == p.ID {
				n++
				if is.Updated.After(last) {
					last = is.Updated
				}
			}
		}
		c.e.mu.RUnlock()
		ins := obj{"totalIssueCount": n}
		if !last.IsZero() {
			ins["lastIssueUpdateTime"] = fmtTime(last)
		}
		o["insight"] = ins
	}
	if expand["permissions"] {
		o["permissions"] = obj{"canEdit": c.site.can(c.who, permAdminProj, p, nil)}
	}
	if full {
		assignee := "UNASSIGNED"
		if p.DefaultAssignee == "PROJECT_LEAD" {
			assignee = "PROJECT_LEAD"
		}
		o["assigneeType"] = assignee
		o["components"] = []any{}
		o["versions"] = []any{}
		o["roles"] = obj{}
	}
	return o
}

func (c *call) issueTypeObj(t *issueType) obj {
	o := obj{
		"self": c.api() + "/issuetype/" + t.ID, "id": t.ID, "description": t.Description,
		"iconUrl": c.self() + "/rest/api/2/universal_avatar/view/type/issuetype/avatar/" + iconFor(t) + "?size=medium",
		"name":    t.Name, "subtask": t.subtask(), "avatarId": avatarIDFor(t), "hierarchyLevel": t.HierarchyLevel,
	}
	if t.project != nil {
		o["scope"] = obj{"type": "PROJECT", "project": obj{"id": t.project.ID}}
	}
	return o
}

func avatarIDFor(t *issueType) int {
	switch {
	case t.HierarchyLevel > 0:
		return 10307
	case t.HierarchyLevel < 0:
		return 10316
	case strings.EqualFold(t.Name, "bug"):
		return 10303
	case strings.EqualFold(t.Name, "story"):
		return 10315
	}
	return 10318
}

func iconFor(t *issueType) string { return strconv.Itoa(avatarIDFor(t)) }

func (c *call) statusObj(st *status) obj {
	id, color, name := st.categoryInfo()
	return obj{
		"self": c.api() + "/status/" + st.ID, "description": "", "iconUrl": c.self() + "/images/icons/statuses/generic.png",
		"name": st.Name, "id": st.ID,
		"statusCategory": obj{"self": c.api() + "/statuscategory/" + strconv.Itoa(id), "id": id,
			"key": st.Category, "colorName": color, "name": name},
	}
}

func (c *call) priorityObj(p *priority) obj {
	if p == nil {
		return nil
	}
	return obj{
		"self": c.api() + "/priority/" + p.ID, "iconUrl": c.self() + "/images/icons/priorities/" + strings.ToLower(p.Name) + ".svg",
		"name": p.Name, "id": p.ID,
	}
}

func (c *call) priorityFull(p *priority) obj {
	o := c.priorityObj(p)
	o["description"] = p.Description
	o["statusColor"] = p.Color
	return o
}

func (c *call) optionObj(f *fieldDef, id string) obj {
	for _, op := range f.Options {
		if op.ID == id {
			return obj{"self": c.api() + "/customFieldOption/" + op.ID, "value": op.Value, "id": op.ID}
		}
	}
	return nil
}

// fieldSchema is the JsonTypeBean of a field.
func fieldSchema(f *fieldDef) obj {
	o := obj{"type": f.SchemaType}
	if f.Items != "" {
		o["items"] = f.Items
	}
	if f.Custom {
		o["custom"], o["customId"] = f.CustomType, f.CustomID
	} else {
		o["system"] = f.System
	}
	return o
}

// richOut renders a stored ADF value for this API version: ADF on v3,
// wiki markup on v2.
func (c *call) richOut(adf json.RawMessage) any {
	if len(adf) == 0 || string(adf) == "null" {
		return nil
	}
	if c.v3() {
		return adf
	}
	return adfToWiki(adf)
}
