package emulator

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
)

// Versions the sandbox reports.
const (
	cloudVersion    = "1001.0.0-SNAPSHOT"
	cloudBuild      = 100295
	dcVersion       = "9.12.7"
	dcBuild         = 9120007
	buildDateString = "2025-11-18T09:12:44.000+0000"
	scmInfo         = "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71"
)

// GET /rest/api/{v}/myself
func (c *call) handleMyself() {
	u := c.who
	if c.r.URL.RawQuery == "" {
		// The credential check every client starts with: served from a
		// cache keyed by what the body depends on.
		key := c.api() + "\x00" + u.AccountID
		if b, ok := c.e.cache.Load(key); ok {
			c.headers()
			writeRaw(c.w, http.StatusOK, b.([]byte))
			return
		}
		defer func() {
			if b := c.rendered; b != nil {
				c.e.cache.Store(key, b)
			}
		}()
	}
	o := c.fullUser(u)
	expand := splitSet(c.q("expand"))
	groups := []any{}
	if expand["groups"] {
		for _, g := range u.Groups {
			groups = append(groups, obj{"name": g, "groupId": groupID(g), "self": c.api() + "/group?groupId=" + groupID(g)})
		}
	}
	o["groups"] = obj{"size": len(u.Groups), "items": groups}
	roles := []any{}
	if expand["applicationRoles"] {
		roles = append(roles, obj{"key": "jira-software", "name": "Jira Software", "groups": []string{"jira-software-users"},
			"defaultGroups": []string{"jira-software-users"}, "selectedByDefault": false, "defined": true,
			"hasUnlimitedSeats": false, "platform": false, "numberOfSeats": 10, "remainingSeats": 10 - len(c.e.users),
			"userCount": len(c.e.users), "userCountDescription": "users"})
	}
	o["applicationRoles"] = obj{"size": 1, "items": roles}
	if expand["groups"] || expand["applicationRoles"] {
		o["expand"] = "groups,applicationRoles"
	}
	c.rendered = c.json(http.StatusOK, o)
}

// groupID is a stable uuid-shaped id for a group name.
func groupID(name string) string {
	h := fmt.Sprintf("%032x", []byte(name + "................")[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// serverInfo is ServerInformation; a struct keeps this hot path cheap.
type serverInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"`
	BuildNumber    int    `json:"buildNumber"`
	BuildDate      string `json:"buildDate"`
	ServerTime     string `json:"serverTime"`
	ScmInfo        string `json:"scmInfo"`
	ServerTitle    string `json:"serverTitle"`
	ServerTimeZone string `json:"serverTimeZone,omitempty"`
	DefaultLocale  *struct {
		Locale string `json:"locale"`
	} `json:"defaultLocale,omitempty"`
}

// GET /rest/api/{v}/serverInfo
func (c *call) handleServerInfo() {
	info := serverInfo{BaseURL: c.siteURL(), BuildDate: buildDateString, ServerTime: fmtTime(c.e.now()),
		ScmInfo: scmInfo, ServerTitle: "Jira"}
	if c.e.dc {
		info.Version, info.VersionNumbers, info.DeploymentType, info.BuildNumber = dcVersion, []int{9, 12, 7}, "Server", dcBuild
		info.DefaultLocale = &struct {
			Locale string `json:"locale"`
		}{"en_US"}
	} else {
		info.Version, info.VersionNumbers, info.DeploymentType, info.BuildNumber = cloudVersion, []int{1001, 0, 0}, "Cloud", cloudBuild
		info.ServerTimeZone = "Etc/UTC"
	}
	c.json(http.StatusOK, info)
}

// siteRoutes serves what a site host has besides the REST API.
func (e *Emulator) siteRoutes() {
	e.mux.HandleFunc("GET /_edge/tenant_info", func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(callKey{}).(*call)
		e.counts.add("GET /_edge/tenant_info")
		if !e.inject(w, r, c.fullPath) {
			return
		}
		if e.dc || c.gateway {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"cloudId": c.site.cloudID})
	})
	e.mux.HandleFunc("GET /browse/{key}", func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(callKey{}).(*call)
		c.r = r
		e.counts.add("GET /browse/{key}")
		if e.inject(w, r, c.fullPath) {
			e.browsePage(c)
		}
	})
	e.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(callKey{}).(*call)
		c.r = r
		e.indexPage(c)
	})
	e.mux.HandleFunc(restCatchAll, func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(callKey{}).(*call)
		c.r = r
		if allow := e.allowedMethods(r); len(allow) > 0 {
			// The resource exists: a client must not read "not found" here.
			e.counts.add(r.Method + " (method not allowed)")
			if !e.inject(w, r, c.fullPath) {
				return
			}
			w.Header().Set("Allow", strings.Join(allow, ","))
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		e.counts.add(r.Method + " (unknown REST path)")
		if !e.inject(w, r, c.fullPath) {
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "null for uri: " + c.self() + r.URL.Path, "status-code": 404})
	})
}

// pages are parsed on first use, not at package initialisation, which every
// tm command pays.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("issue").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Key}} {{.Summary}} - {{.Site}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#172b4d}
dt{font-weight:600;color:#6b778c}dd{margin:0 0 .5rem}.lozenge{background:#dfe1e6;border-radius:3px;padding:0 .3rem;font-size:.8rem;text-transform:uppercase}</style></head>
<body><p><a href="{{.Home}}">{{.Site}}</a> / {{.Project}}</p>
<h1>{{.Key}}: {{.Summary}}</h1>
<p><span class="lozenge">{{.Status}}</span> {{.Type}} · priority {{.Priority}}</p>
<dl><dt>Assignee</dt><dd>{{.Assignee}}</dd><dt>Reporter</dt><dd>{{.Reporter}}</dd>
{{if .Labels}}<dt>Labels</dt><dd>{{.Labels}}</dd>{{end}}<dt>Created</dt><dd>{{.Created}}</dd></dl>
<h2>Description</h2><p>{{.Description}}</p>
{{range .Comments}}<h3>{{.Author}}</h3><p>{{.Body}}</p>{{end}}
<p><small>This is the ticket-mate sandbox, a local imitation of Jira.</small></p></body></html>
{{define "index"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Site}} - ticket-mate sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#172b4d}</style></head>
<body><h1>{{.Site}}</h1><p>A local Jira ({{.Mode}}) run by <code>tm sandbox</code>. Cloud id <code>{{.CloudID}}</code>.</p>
<ul>{{range .Issues}}<li><a href="{{$.Home}}/browse/{{.Key}}">{{.Key}}</a> {{.Summary}}</li>{{end}}</ul></body></html>{{end}}`))
})

func (e *Emulator) browsePage(c *call) {
	name := func(id string) string {
		if u := e.userByID[id]; u != nil {
			return u.DisplayName
		}
		return "Unassigned"
	}
	e.mu.RLock()
	is := c.site.issueByIDOrKey(c.r.PathValue("key"))
	if is == nil {
		e.mu.RUnlock()
		c.w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		c.w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(c.w, "<!DOCTYPE html><title>Not found</title><p>Issue %s does not exist.</p>", template.HTMLEscapeString(c.r.PathValue("key")))
		return
	}
	data := map[string]any{
		"Key": is.Key, "Summary": is.Summary, "Site": c.site.name, "Home": c.siteURL(), "Project": c.site.projectOf(is).Name,
		"Status": c.site.statuses[is.StatusID].Name, "Type": c.site.types[is.TypeID].Name,
		"Assignee": name(is.Assignee), "Reporter": name(is.Reporter), "Labels": strings.Join(is.Labels, ", "),
		"Created": fmtTime(is.Created), "Description": adfText(is.Description),
	}
	if p := c.site.prioByID[is.PriorityID]; p != nil {
		data["Priority"] = p.Name
	}
	var comments []map[string]string
	for _, cm := range is.Comments {
		comments = append(comments, map[string]string{"Author": name(cm.Author), "Body": adfText(cm.Body)})
	}
	data["Comments"] = comments
	e.mu.RUnlock()
	c.w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	pages().Execute(c.w, data)
}

func (e *Emulator) indexPage(c *call) {
	mode := "Cloud"
	if e.dc {
		mode = "Data Center"
	}
	e.mu.RLock()
	var issues []map[string]string
	for _, is := range c.site.issues {
		issues = append(issues, map[string]string{"Key": is.Key, "Summary": is.Summary})
	}
	e.mu.RUnlock()
	c.w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	pages().ExecuteTemplate(c.w, "index", map[string]any{"Site": c.site.name, "Mode": mode, "CloudID": c.site.cloudID,
		"Home": c.siteURL(), "Issues": issues})
}
