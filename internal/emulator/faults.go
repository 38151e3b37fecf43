package emulator

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a scripted failure for requests matching Method and Path.
type Fault struct {
	ID     int    `json:"id"`
	Method string `json:"method,omitempty"` // empty or "*": any method
	// Path is a glob over the request path as sent (prefix included):
	// "*" matches any run of characters, "/" included; "?" one character.
	Path string `json:"path"`
	// Action is a status code ("503"), "429", "reset" (the connection is
	// closed without an answer), "truncate" (half the body, then the
	// connection closes), "html502" / "html503" (the edge's HTML error
	// page), or "stall" (wait Duration, then answer normally).
	Action string `json:"action"`
	// Count is how many matching requests fail; 0 means every one.
	Count int `json:"count,omitempty"`
	// Probability in (0,1] that a matching request fails; 0 means 1.
	Probability float64 `json:"probability,omitempty"`
	// Duration is the stall time, or Retry-After for 429 (default 1s for
	// 429, 30s for stall).
	Duration time.Duration `json:"duration,omitempty"`
	Hits     int           `json:"hits"` // requests it has failed so far
}

// FaultSyntax documents ParseFault's grammar, for --help.
const FaultSyntax = `[METHOD ]PATH=ACTION[xCOUNT][@PROBABILITY]
  PATH    a glob on the request path; * matches anything (slashes too)
  ACTION  a status code (503), 429[:RETRY_AFTER], reset, truncate,
          html502, html503, stall[:DURATION]; RETRY_AFTER and DURATION
          are durations with a unit (7s, 250ms, 1m; a bare 7 is refused)
  COUNT   fail only the next COUNT matching requests (default: all)
  PROB    fail a matching request with this probability (0-1)
examples: 'GET /rest/api/3/myself=503x2'  '*/search/jql=429:5sx1'
          'POST */issue=reset@0.5'        '*/serverInfo=stall:10s'`

// ParseFault parses the --fault flag syntax (see FaultSyntax).
func ParseFault(s string) (Fault, error) {
	var f Fault
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(lhs) == "" || rhs == "" {
		return f, fmt.Errorf("fault %q: want [METHOD ]PATH=ACTION, e.g. 'GET /rest/api/3/myself=503x2'", s)
	}
	lhs = strings.TrimSpace(lhs)
	if m, p, ok := strings.Cut(lhs, " "); ok {
		f.Method, f.Path = strings.ToUpper(m), strings.TrimSpace(p)
	} else {
		f.Path = lhs
	}
	if i := strings.LastIndexByte(rhs, '@'); i >= 0 {
		p, err := strconv.ParseFloat(rhs[i+1:], 64)
		if err != nil || p <= 0 || p > 1 {
			return f, fmt.Errorf("fault %q: probability must be a number in (0,1], like @0.5", s)
		}
		f.Probability, rhs = p, rhs[:i]
	}
	if i := strings.LastIndexByte(rhs, 'x'); i > 0 {
		if n, err := strconv.Atoi(rhs[i+1:]); err == nil {
			if n <= 0 {
				return f, fmt.Errorf("fault %q: the count after x must be positive", s)
			}
			f.Count, rhs = n, rhs[:i]
		}
	}
	action, arg, _ := strings.Cut(rhs, ":")
	f.Action = strings.ToLower(action)
	if arg != "" {
		d, err := time.ParseDuration(arg)
		if _, bare := strconv.ParseFloat(arg, 64); bare == nil {
			return f, fmt.Errorf("fault %q: %q needs a unit: write %ss for seconds or %sms for milliseconds", s, arg, arg, arg)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %q is not a duration (try 5s or 250ms)", s, arg)
		}
		f.Duration = d
	}
	return f, f.check()
}

func (f *Fault) check() error {
	if f.Path == "" {
		return errors.New("fault: path is required (a glob such as /rest/api/3/* or */myself)")
	}
	switch f.Action {
	case "reset", "truncate", "html502", "html503", "stall", "429":
	default:
		code, err := strconv.Atoi(f.Action)
		if err != nil || code < 400 || code > 599 {
			return fmt.Errorf("fault: action %q must be a 4xx/5xx status, 429, reset, truncate, html502, html503 or stall", f.Action)
		}
	}
	if f.Count < 0 || f.Probability < 0 || f.Probability > 1 {
		return errors.New("fault: count must be positive and probability in (0,1]")
	}
	return nil
}

func (f *Fault) matches(method, path string) bool {
	if f.Method != "" && f.Method != "*" && !strings.EqualFold(f.Method, method) {
		return false
	}
	return globMatch(f.Path, path)
}

// globMatch matches * (any run, slashes included) and ? (one byte).
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// faultSet holds the active faults.
type faultSet struct {
	mu     sync.Mutex
	list   []*Fault
	nextID int
	any    bool // fast path: no faults at all
}

func (fs *faultSet) add(f Fault) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Hits = fs.nextID, 0
	fs.list = append(fs.list, &f)
	fs.any = true
	return f
}

func (fs *faultSet) remove(id int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if f.ID == id {
			fs.list = append(fs.list[:i], fs.list[i+1:]...)
			fs.any = len(fs.list) > 0
			return true
		}
	}
	return false
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.list, fs.any = nil, false
	fs.mu.Unlock()
}

func (fs *faultSet) snapshot() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.list))
	for _, f := range fs.list {
		out = append(out, *f)
	}
	return out
}

// pick returns the fault that fires for this request, if any, spending
// one of its count.
func (fs *faultSet) pick(method, path string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.any {
		return nil
	}
	for i, f := range fs.list {
		if !f.matches(method, path) {
			continue
		}
		if f.Probability > 0 && rand.Float64() >= f.Probability {
			continue
		}
		f.Hits++
		fired := *f
		if f.Count > 0 && f.Hits >= f.Count {
			fs.list = append(fs.list[:i], fs.list[i+1:]...)
			fs.any = len(fs.list) > 0
		}
		return &fired
	}
	return nil
}

// inject applies latency and faults to a request whose path as sent is
// path; it returns false when it answered (or dropped) the request itself.
// Callers count the request first, so a failed attempt still shows in
// Requests — clients' retries are what tests want to see.
func (e *Emulator) inject(w http.ResponseWriter, r *http.Request, path string) bool {
	if d := e.opts.Delay(); d > 0 {
		if !sleepCtx(r, d) {
			return false
		}
	}
	f := e.faults.pick(r.Method, path)
	if f == nil {
		return true
	}
	e.counts.add("fault " + f.Action)
	switch f.Action {
	case "stall":
		d := f.Duration
		if d <= 0 {
			d = 30 * time.Second
		}
		return sleepCtx(r, d)
	case "reset":
		hijackClose(w, nil)
	case "truncate":
		body := []byte(`{"errorMessages":[],"errors":{},"issues":[{"id":"10000","key":"SPACE2-1","fields":{"summary":"The connection closed before this body was complete"}}]}`)
		head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\n\r\n", len(body))
		hijackClose(w, append([]byte(head), body[:len(body)/2]...))
	case "html502", "html503":
		code := 502
		if f.Action == "html503" {
			code = 503
			w.Header().Set("Retry-After", "5")
		}
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(code)
		fmt.Fprintf(w, edgeErrorPage, code, http.StatusText(code), code, http.StatusText(code))
	case "429":
		d := f.Duration
		if d <= 0 {
			d = time.Second
		}
		now := e.now()
		writeRateLimited(w, now.Add(d), now, "jira-burst-based")
	default:
		code, _ := strconv.Atoi(f.Action)
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		writeErrors(w, code, []string{fmt.Sprintf("Injected fault: %d %s.", code, http.StatusText(code))}, nil)
	}
	return false
}

const edgeErrorPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%d %s</title></head>
<body><h1>Atlassian</h1><p>%d %s — something went wrong on our end. Try again in a few minutes.</p></body></html>
`

// Delay is one round trip's injected latency: Latency ± a uniform share
// of Jitter (0 without a latency).
func (o Options) Delay() time.Duration {
	d := o.Latency
	if j := o.Jitter; d > 0 && j > 0 {
		d += time.Duration(rand.Int64N(int64(2*j)+1)) - j
	}
	return d
}

// sleepCtx waits d or until the client goes away; false means it went.
func sleepCtx(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// hijackClose writes raw (if any) to the bare connection and closes it.
func hijackClose(w http.ResponseWriter, raw []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if len(raw) > 0 {
		bw := bufio.NewWriter(conn)
		bw.Write(raw)
		bw.Flush()
	}
	_ = buf
	conn.Close()
}
