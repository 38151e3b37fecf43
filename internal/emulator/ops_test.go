package emulator_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

func TestParseFault(t *testing.T) {
	cases := []struct {
		in   string
		want emulator.Fault
		err  string
	}{
		{in: "GET /rest/api/3/myself=503x2", want: emulator.Fault{Method: "GET", Path: "/rest/api/3/myself", Action: "503", Count: 2}},
		{in: "*/search/jql=429:5sx1", want: emulator.Fault{Path: "*/search/jql", Action: "429", Count: 1, Duration: 5 * time.Second}},
		{in: "post */issue=reset@0.5", want: emulator.Fault{Method: "POST", Path: "*/issue", Action: "reset", Probability: 0.5}},
		{in: "*/serverInfo=stall:10s", want: emulator.Fault{Path: "*/serverInfo", Action: "stall", Duration: 10 * time.Second}},
		{in: "/x=html502", want: emulator.Fault{Path: "/x", Action: "html502"}},
		{in: "nonsense", err: "want [METHOD ]PATH=ACTION"},
		{in: "/x=teapot", err: `action "teapot" must be a 4xx/5xx status`},
		{in: "/x=200", err: `action "200" must be a 4xx/5xx status`},
		{in: "/x=503@2", err: "probability must be a number in (0,1]"},
		{in: "/x=stall:soon", err: `"soon" is not a duration`},
		{in: "/x=503x0", err: "the count after x must be positive"},
		{in: "*/myself=429:7", err: `"7" needs a unit: write 7s for seconds`},
		{in: "*/myself=stall:1.5", err: `"1.5" needs a unit`},
	}
	for _, tc := range cases {
		got, err := emulator.ParseFault(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func mustFault(t *testing.T, spec string) emulator.Fault {
	t.Helper()
	f, err := emulator.ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFaults(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Faults: []emulator.Fault{mustFault(t, "GET /rest/api/3/myself=503x2")}})
	you := s.You()
	c := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))
	for i, want := range []int{503, 503, 200, 200} {
		if r := c.get("/rest/api/3/myself"); r.status != want {
			t.Errorf("request %d: %d, want %d", i, r.status, want)
		}
	}
	// The gateway path does not match an anchored glob.
	s.E.AddFault(mustFault(t, "/rest/api/3/serverInfo=500"))
	want(t, rawClient(t, s.GatewayURL(s.Creds.Sites[0].CloudID), basic(you.Email, you.ClassicToken)).get("/rest/api/3/serverInfo"), 200)
	s.E.ClearFaults()

	t.Run("429 burst with headers", func(t *testing.T) {
		s.E.AddFault(mustFault(t, "*/project/search=429:7sx1"))
		r := c.get("/rest/api/3/project/search")
		want(t, r, 429)
		if r.header.Get("Retry-After") != "7" || r.header.Get("RateLimit-Reason") == "" ||
			!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`).MatchString(r.header.Get("X-RateLimit-Reset")) {
			t.Errorf("429 headers = %v", r.header)
		}
		want(t, c.get("/rest/api/3/project/search"), 200)
	})
	t.Run("connection reset", func(t *testing.T) {
		s.E.AddFault(mustFault(t, "*/myself=resetx1"))
		// A fresh connection: on a reused one Go's transport would retry
		// the GET by itself.
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if _, err := hc.Get(s.URL + "/rest/api/3/myself"); err == nil {
			t.Error("no error on a reset connection")
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		s.E.AddFault(mustFault(t, "*/myself=truncatex1"))
		resp, err := http.Get(s.URL + "/rest/api/3/myself")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error = %v, want unexpected EOF", err)
		}
	})
	t.Run("HTML 502", func(t *testing.T) {
		s.E.AddFault(mustFault(t, "*/myself=html502x1"))
		r := c.get("/rest/api/3/myself")
		if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html") {
			t.Errorf("html502 = %d %s", r.status, r.body)
		}
	})
	t.Run("stall until the client gives up", func(t *testing.T) {
		s.E.AddFault(mustFault(t, "*/myself=stall:5sx1"))
		hc := &http.Client{Timeout: 100 * time.Millisecond}
		begin := time.Now()
		_, err := hc.Get(s.URL + "/rest/api/3/myself")
		if err == nil || time.Since(begin) > 3*time.Second {
			t.Errorf("stall: err %v after %v", err, time.Since(begin))
		}
	})
	t.Run("probability", func(t *testing.T) {
		s.E.ClearFaults()
		s.E.AddFault(mustFault(t, "*/serverInfo=503@0.5"))
		fails := 0
		for i := 0; i < 200; i++ {
			if c.get("/rest/api/3/serverInfo").status == 503 {
				fails++
			}
		}
		if fails < 50 || fails > 150 {
			t.Errorf("%d of 200 failed at probability 0.5", fails)
		}
		s.E.ClearFaults()
	})
}

func TestLatency(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Latency: 40 * time.Millisecond, Jitter: 10 * time.Millisecond})
	begin := time.Now()
	want(t, rawClient(t, s.URL, nil).get("/rest/api/3/serverInfo"), 200)
	if d := time.Since(begin); d < 30*time.Millisecond {
		t.Errorf("request took %v with 40ms±10ms latency", d)
	}
	if _, err := emulator.New(emulator.Options{Latency: time.Millisecond, Jitter: time.Second}); err == nil ||
		!strings.Contains(err.Error(), "Jitter no larger than Latency") {
		t.Errorf("bad jitter: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{RateLimit: emulator.RateLimit{Points: 3, UserSearch: 2}})
	you := s.You()
	site := s.Creds.Sites[0].CloudID
	tok := oauthToken(t, s, you.AccountID, site, "read:jira-work read:jira-user")
	gw := rawClient(t, s.GatewayURL(site), bearer(tok))
	for i := 3; i > 0; i-- {
		r := gw.get("/rest/api/3/serverInfo")
		want(t, r, 200)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(i-1) {
			t.Errorf("headers %v", r.header)
		}
	}
	r := gw.get("/rest/api/3/serverInfo")
	want(t, r, 429)
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if retry < 1 || retry > 3600 || r.header.Get("RateLimit-Reason") != "jira-quota-based" ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:00Z$`).MatchString(r.header.Get("X-RateLimit-Reset")) {
		t.Errorf("429 headers = %v", r.header)
	}
	// API-token traffic does not spend points.
	classicC := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))
	for i := 0; i < 5; i++ {
		want(t, classicC.get("/rest/api/3/serverInfo"), 200)
	}
	// User search has its own tenant-wide bucket, for every caller.
	want(t, classicC.get("/rest/api/3/user/search?query=m"), 200)
	want(t, classicC.get("/rest/api/3/user/search?query=m"), 200)
	r = classicC.get("/rest/api/3/user/search?query=m")
	want(t, r, 429)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("user-search 429 headers = %v", r.header)
	}
	// The next window refills the buckets (a new token: the old one
	// expired with the hour).
	s.E.AdvanceClock(time.Hour)
	gw = rawClient(t, s.GatewayURL(site), bearer(oauthToken(t, s, you.AccountID, site, "read:jira-work")))
	want(t, gw.get("/rest/api/3/serverInfo"), 200)
	want(t, classicC.get("/rest/api/3/user/search?query=m"), 200)
}

func TestAdminAPI(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	admin := rawClient(t, s.URL+"/__emulator", nil)
	you := s.You()
	c := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))

	r := admin.do("POST", "/faults", m{"spec": "GET /rest/api/3/myself=503x1"})
	want(t, r, 201)
	r = admin.do("POST", "/faults", m{"path": "*/serverInfo", "action": "502"})
	want(t, r, 201)
	id := int(r.obj(t)["id"].(float64))
	var faults []emulator.Fault
	admin.get("/faults").json(t, &faults)
	if len(faults) != 2 {
		t.Errorf("faults = %+v", faults)
	}
	want(t, c.get("/rest/api/3/myself"), 503)
	want(t, c.get("/rest/api/3/serverInfo"), 502)
	want(t, admin.do("DELETE", "/faults/"+strconv.Itoa(id), nil), 204)
	want(t, c.get("/rest/api/3/serverInfo"), 200)
	r = admin.do("POST", "/faults", m{"spec": "bad"})
	want(t, r, 400)
	if !strings.Contains(string(r.body), "want [METHOD ]PATH=ACTION") {
		t.Errorf("bad fault body %s", r.body)
	}

	var counts map[string]int
	admin.get("/requests").json(t, &counts)
	if counts["GET /rest/api/3/myself"] != 1 || counts["GET /rest/api/3/serverInfo"] != 2 {
		t.Errorf("counts = %v", counts)
	}
	want(t, c.do("POST", "/rest/api/3/issue", spaceTask(nil)), 201)
	want(t, admin.do("POST", "/reset", nil), 204)
	want(t, c.get("/rest/api/3/issue/SPACE2-6"), 404)
	if got := s.E.Requests(); got["GET /rest/api/3/myself"] != 0 || got["GET /rest/api/3/issue/{issueIdOrKey}"] != 1 {
		t.Errorf("after reset: %v", got)
	}
	before := c.get("/rest/api/3/serverInfo").obj(t)["serverTime"].(string)
	want(t, admin.do("POST", "/clock/advance", m{"by": "48h"}), 200)
	after := c.get("/rest/api/3/serverInfo").obj(t)["serverTime"].(string)
	tb, _ := time.Parse("2006-01-02T15:04:05.000-0700", before)
	ta, _ := time.Parse("2006-01-02T15:04:05.000-0700", after)
	if d := ta.Sub(tb); d < 48*time.Hour || d > 49*time.Hour {
		t.Errorf("clock moved %v", d)
	}
	wantAdminError := func(r response, status int, msg string) {
		t.Helper()
		want(t, r, status)
		if !strings.Contains(string(r.body), msg) {
			t.Errorf("body %s, want %q", r.body, msg)
		}
	}
	wantAdminError(admin.do("POST", "/clock/advance", m{"by": "-1h"}), 409, "the clock only moves forward")
	wantAdminError(admin.get("/nothing"), 404, "unknown admin endpoint")

	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ext := emulatortest.Start(t, emulator.Options{Clock: func() time.Time { return fixed }})
	wantAdminError(rawClient(t, ext.URL+"/__emulator", nil).do("POST", "/clock/advance", m{"by": "1h"}), 409, "advance that one")
}

func TestStatePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := emulatortest.Start(t, emulator.Options{StatePath: path})
	you := s.You()
	c := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))
	want(t, c.do("POST", "/rest/api/3/issue", spaceTask(m{"summary": "kept"})), 201)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/comment", m{"body": adf("also kept")}), 201)
	want(t, c.do("POST", "/rest/api/3/issueLink", m{"type": m{"name": "Relates"}, "inwardIssue": m{"key": "SPACE2-6"}, "outwardIssue": m{"key": "SPACE2-1"}}), 201)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/watchers", `"`+you.AccountID+`"`), 204)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/worklog", m{"timeSpent": "2h"}), 201)
	want(t, c.do("POST", "/rest/agile/1.0/sprint/3/issue", m{"issues": []string{"SPACE2-6"}}), 204)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/transitions", m{"transition": m{"id": "21"}, "fields": m{"resolution": m{"name": "Duplicate"}}}), 204)
	if err := s.E.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	s2 := emulatortest.Start(t, emulator.Options{StatePath: path})
	if s2.You().ClassicToken != you.ClassicToken || s2.Creds.OAuth[0].ClientSecret != s.Creds.OAuth[0].ClientSecret {
		t.Error("credentials changed across a restart")
	}
	c2 := rawClient(t, s2.URL, basic(you.Email, you.ClassicToken))
	var is struct {
		Fields struct {
			Summary string
			Comment struct{ Total int }
		}
	}
	r := c2.get("/rest/api/3/issue/SPACE2-6?fields=summary,comment")
	want(t, r, 200)
	r.json(t, &is)
	if is.Fields.Summary != "kept" || is.Fields.Comment.Total != 1 {
		t.Errorf("restored issue = %s", r.body)
	}
	var more struct {
		Fields struct {
			Issuelinks   []any
			Watches      struct{ WatchCount int }
			Timetracking struct{ TimeSpentSeconds int }
			Resolution   struct{ Name string }
			Sprint       []struct{ ID int } `json:"customfield_10020"`
		}
	}
	r = c2.get("/rest/api/3/issue/SPACE2-6")
	want(t, r, 200)
	r.json(t, &more)
	if f := more.Fields; len(f.Issuelinks) != 1 || f.Watches.WatchCount != 1 || f.Timetracking.TimeSpentSeconds != 7200 ||
		f.Resolution.Name != "Duplicate" || len(f.Sprint) != 1 || f.Sprint[0].ID != 3 {
		t.Errorf("links, watchers, worklogs, resolution or sprint lost in the restart: %s", r.body)
	}
	r = c2.do("POST", "/rest/api/3/issue", spaceTask(nil))
	if r.obj(t)["key"] != "SPACE2-7" {
		t.Errorf("numbering restarted: %s", r.body)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	if _, err := emulator.New(emulator.Options{StatePath: bad}); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Errorf("damaged state: %v", err)
	}
}

func TestSeeds(t *testing.T) {
	base := emulator.DefaultSeedJSON()
	mutate := func(f func(s map[string]any)) []byte {
		var s map[string]any
		json.Unmarshal(base, &s)
		f(s)
		b, _ := json.Marshal(s)
		return b
	}
	site0 := func(s map[string]any) map[string]any { return s["sites"].([]any)[0].(map[string]any) }
	proj0 := func(s map[string]any) map[string]any { return site0(s)["projects"].([]any)[0].(map[string]any) }
	cases := []struct {
		name string
		seed []byte
		err  string
	}{
		{"unknown key", []byte(`{"users":[],"colour":1}`), `unknown field "colour"`},
		{"no users", mutate(func(s map[string]any) { s["users"] = []any{} }), "at least one user is needed"},
		{"duplicate email", mutate(func(s map[string]any) {
			s["users"].([]any)[1].(map[string]any)["email"] = "alex@sandbox.example"
		}), `duplicate email "alex@sandbox.example"`},
		{"bad project key", mutate(func(s map[string]any) { proj0(s)["key"] = "space two" }), "key must be 2-10 upper-case letters"},
		{"unknown lead", mutate(func(s map[string]any) { proj0(s)["lead"] = "ghost" }), `lead "ghost" is not a user`},
		{"bad permission", mutate(func(s map[string]any) {
			proj0(s)["permissions"] = map[string]any{"FLY": []string{"users"}}
		}), `"FLY" is not a project permission key`},
		{"bad grantee", mutate(func(s map[string]any) {
			proj0(s)["permissions"] = map[string]any{"BROWSE_PROJECTS": []string{"everybody"}}
		}), `grantee "everybody" is not a user`},
		{"bad field type", mutate(func(s map[string]any) {
			site0(s)["fields"] = []any{map[string]any{"id": "customfield_1", "name": "x", "type": "date"}}
		}), "type must be text, textarea, number or select"},
		{"bad slug", mutate(func(s map[string]any) { s["sites"].([]any)[1].(map[string]any)["slug"] = "EU Site" }), "slug \"EU Site\" must be lower-case"},
		{"issue outside projects", mutate(func(s map[string]any) {
			site0(s)["issues"] = []any{map[string]any{"key": "NOPE-1", "type": "10001", "summary": "x"}}
		}), `issue "NOPE-1": the key must be PROJECT-N`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := emulator.ParseSeed(tc.seed)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
		})
	}
	t.Run("custom seed file", func(t *testing.T) {
		custom := mutate(func(s map[string]any) {
			proj0(s)["name"] = "Renamed Space"
			s["sites"] = s["sites"].([]any)[:1]
		})
		path := filepath.Join(t.TempDir(), "seed.json")
		os.WriteFile(path, custom, 0o600)
		seed, err := emulator.LoadSeed(path)
		if err != nil {
			t.Fatal(err)
		}
		s := emulatortest.Start(t, emulator.Options{Seed: seed})
		if len(s.Creds.Sites) != 1 {
			t.Errorf("sites = %v", s.Creds.Sites)
		}
		you := s.You()
		r := rawClient(t, s.URL, basic(you.Email, you.ClassicToken)).get("/rest/api/3/project/SPACE2")
		if r.obj(t)["name"] != "Renamed Space" {
			t.Errorf("project = %s", r.body)
		}
	})
	if _, err := emulator.LoadSeed(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "read seed") {
		t.Errorf("missing seed: %v", err)
	}
}
