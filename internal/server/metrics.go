package server

import (
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are one server's Prometheus series, written in the text exposition
// format (version 0.0.4) by our own small writer: the client library, with
// its protobuf, procfs and expvar imports, cost every tm command — the CLI
// included — about 3 ms of package initialisation, for five series and the
// standard go_* and process_* ones. Each Server has its own set, so two
// servers in one process (tests) never collide.
type metrics struct {
	requests        *counterVec
	durations       *histogramVec
	refreshes       *counter
	refreshFailures *counterVec
	jiraDurations   *histogramVec
}

// defBuckets are Prometheus's default histogram buckets, in seconds.
var defBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics() *metrics {
	return &metrics{
		requests: newCounterVec("tm_http_requests_total",
			"HTTP requests served, by route pattern and status code.", "route", "status"),
		durations: newHistogramVec("tm_http_request_duration_seconds",
			"Time to serve a request, by route pattern.", "route"),
		refreshes: &counter{},
		refreshFailures: newCounterVec("tm_oauth_refresh_failures_total",
			"OAuth refreshes that failed, by reason (invalid_grant, unavailable, other).", "reason"),
		jiraDurations: newHistogramVec("tm_jira_request_duration_seconds",
			"Outbound Jira REST calls, by method and status code.", "method", "status"),
	}
}

// handler serves every series, sorted by name as Prometheus's client does,
// gzipped when the scraper accepts it.
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		var out io.Writer = w
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		e := &exposition{}
		writeGoMetrics(e)
		m.requests.write(e)
		m.durations.write(e)
		m.jiraDurations.write(e)
		m.refreshFailures.write(e)
		e.family("tm_oauth_refreshes_total", "OAuth refresh-token grants spent successfully by this process.", "counter")
		e.sample("tm_oauth_refreshes_total", "", m.refreshes.value())
		writeProcessMetrics(e)
		_, _ = out.Write(e.sorted())
	})
}

func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// observeRequest records one served request under its route pattern, never
// its raw path: paths carry cloud ids and keys, which would explode the
// number of series.
func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route).Observe(d.Seconds())
}

// jiraTransport times every outbound Jira call.
type jiraTransport struct {
	next http.RoundTripper
	m    *metrics
}

func (t jiraTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	t.m.jiraDurations.WithLabelValues(r.Method, status).Observe(time.Since(start).Seconds())
	return resp, err
}

// counter is a monotonically increasing count.
type counter struct{ n atomic.Uint64 }

func (c *counter) Inc()           { c.n.Add(1) }
func (c *counter) value() float64 { return float64(c.n.Load()) }

// histogram counts observations into cumulative buckets (written
// cumulatively; stored per bucket), with their sum and count.
type histogram struct {
	buckets []atomic.Uint64 // one per defBuckets bound, then +Inf
	sumBits atomic.Uint64
}

func (h *histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(defBuckets, v) // first bound ≥ v: Prometheus's le is inclusive
	h.buckets[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
}

// vec holds one series per combination of label values.
type vec[T any] struct {
	name, help string
	labels     []string
	make       func() *T
	mu         sync.RWMutex
	series     map[string]*labelled[T]
}

type labelled[T any] struct {
	values []string
	s      *T
}

func (v *vec[T]) with(values ...string) *T {
	if len(values) != len(v.labels) {
		panic("metrics: " + v.name + " takes " + strconv.Itoa(len(v.labels)) + " label values")
	}
	key := strings.Join(values, "\xff")
	v.mu.RLock()
	l, ok := v.series[key]
	v.mu.RUnlock()
	if ok {
		return l.s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if l, ok := v.series[key]; ok {
		return l.s
	}
	l = &labelled[T]{values: slices.Clone(values), s: v.make()}
	v.series[key] = l
	return l.s
}

// each calls f for every series, in label-value order.
func (v *vec[T]) each(f func(labels string, s *T)) {
	v.mu.RLock()
	all := make([]*labelled[T], 0, len(v.series))
	for _, l := range v.series {
		all = append(all, l)
	}
	v.mu.RUnlock()
	slices.SortFunc(all, func(a, b *labelled[T]) int { return slices.Compare(a.values, b.values) })
	for _, l := range all {
		var b strings.Builder
		for i, name := range v.labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(name)
			b.WriteString(`="`)
			b.WriteString(escapeLabel(l.values[i]))
			b.WriteByte('"')
		}
		f(b.String(), l.s)
	}
}

type counterVec struct{ vec[counter] }

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{vec[counter]{name: name, help: help, labels: labels,
		make: func() *counter { return &counter{} }, series: map[string]*labelled[counter]{}}}
}

func (c *counterVec) WithLabelValues(values ...string) *counter { return c.with(values...) }

func (c *counterVec) write(e *exposition) {
	e.family(c.name, c.help, "counter")
	c.each(func(labels string, s *counter) { e.sample(c.name, labels, s.value()) })
}

type histogramVec struct{ vec[histogram] }

func newHistogramVec(name, help string, labels ...string) *histogramVec {
	return &histogramVec{vec[histogram]{name: name, help: help, labels: labels,
		make:   func() *histogram { return &histogram{buckets: make([]atomic.Uint64, len(defBuckets)+1)} },
		series: map[string]*labelled[histogram]{}}}
}

func (h *histogramVec) WithLabelValues(values ...string) *histogram { return h.with(values...) }

func (h *histogramVec) write(e *exposition) {
	e.family(h.name, h.help, "histogram")
	h.each(func(labels string, s *histogram) {
		sep := ""
		if labels != "" {
			sep = ","
		}
		// The count is the +Inf bucket, so the two always agree.
		var cum uint64
		for i := range s.buckets {
			cum += s.buckets[i].Load()
			le := "+Inf"
			if i < len(defBuckets) {
				le = formatFloat(defBuckets[i])
			}
			e.sample(h.name+"_bucket", labels+sep+`le="`+le+`"`, float64(cum))
		}
		e.sample(h.name+"_sum", labels, math.Float64frombits(s.sumBits.Load()))
		e.sample(h.name+"_count", labels, float64(cum))
	})
}

// exposition collects metric families in the Prometheus text format.
type exposition struct {
	families map[string]*strings.Builder
	current  *strings.Builder
}

// family starts a metric family; the samples that follow belong to it.
func (e *exposition) family(name, help, typ string) {
	if e.families == nil {
		e.families = map[string]*strings.Builder{}
	}
	b := &strings.Builder{}
	b.WriteString("# HELP " + name + " " + escapeHelp(help) + "\n# TYPE " + name + " " + typ + "\n")
	e.families[name] = b
	e.current = b
}

func (e *exposition) sample(name, labels string, v float64) {
	e.current.WriteString(name)
	if labels != "" {
		e.current.WriteString("{" + labels + "}")
	}
	e.current.WriteString(" " + formatFloat(v) + "\n")
}

func (e *exposition) sorted() []byte {
	names := make([]string, 0, len(e.families))
	for n := range e.families {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []byte
	for _, n := range names {
		out = append(out, e.families[n].String()...)
	}
	return out
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeLabel escapes a label value: backslash, newline and double quote.
func escapeLabel(s string) string { return escape(s, true) }

// escapeHelp escapes help text: backslash and newline.
func escapeHelp(s string) string { return escape(s, false) }

func escape(s string, quote bool) string {
	if !strings.ContainsAny(s, "\\\n\"") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
