package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsMatchPrometheusClient holds our exposition writer to
// Prometheus's own client library: the same series fed the same
// observations must parse (with Prometheus's text parser) into the same
// families — names, types, help, labels and values for ours; names and
// types for the go_* and process_* ones the client's collectors export.
func TestMetricsMatchPrometheusClient(t *testing.T) {
	m := newMetrics()
	reg := prometheus.NewPedanticRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tm_http_requests_total", Help: "HTTP requests served, by route pattern and status code."}, []string{"route", "status"})
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tm_http_request_duration_seconds", Help: "Time to serve a request, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	refreshes := prometheus.NewCounter(prometheus.CounterOpts{Name: "tm_oauth_refreshes_total", Help: "OAuth refresh-token grants spent successfully by this process."})
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tm_oauth_refresh_failures_total", Help: "OAuth refreshes that failed, by reason (invalid_grant, unavailable, other)."}, []string{"reason"})
	jira := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tm_jira_request_duration_seconds", Help: "Outbound Jira REST calls, by method and status code.", Buckets: prometheus.DefBuckets}, []string{"method", "status"})
	reg.MustRegister(requests, durations, refreshes, failures, jira,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if got := slices.Clone(defBuckets); !slices.Equal(got, prometheus.DefBuckets) {
		t.Fatalf("buckets %v, Prometheus's defaults %v", got, prometheus.DefBuckets)
	}
	// Durations on and between bucket bounds, past the last one, and label
	// values that need escaping.
	routes := []string{"GET /api/projects", `GET /x/{"q"}`, "line\nbreak \\ slash", ""}
	ds := []time.Duration{0, 5 * time.Millisecond, 7 * time.Millisecond, 250 * time.Millisecond, 3 * time.Second, 20 * time.Second}
	var wg sync.WaitGroup
	for i, route := range routes {
		for j, d := range ds {
			status := []int{200, 303, 404}[(i+j)%3]
			wg.Go(func() { m.observeRequest(route, status, d) })
			r := route
			if r == "" {
				r = "unmatched"
			}
			requests.WithLabelValues(r, []string{"200", "303", "404"}[(i+j)%3]).Inc()
			durations.WithLabelValues(r).Observe(d.Seconds())
		}
	}
	wg.Wait()
	for _, st := range []string{"200", "error", "200"} {
		m.jiraDurations.WithLabelValues("GET", st).Observe(0.05)
		jira.WithLabelValues("GET", st).Observe(0.05)
	}
	m.refreshes.Inc()
	refreshes.Inc()
	m.refreshFailures.WithLabelValues("invalid_grant").Inc()
	failures.WithLabelValues("invalid_grant").Inc()

	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	ours, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("Prometheus cannot parse our exposition: %v\n%s", err, rec.Body)
	}
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for _, mf := range gathered {
		if _, err := expfmt.MetricFamilyToText(&want, mf); err != nil {
			t.Fatal(err)
		}
	}
	theirs, err := parser.TextToMetricFamilies(&want)
	if err != nil {
		t.Fatal(err)
	}

	if got, exp := slices.Sorted(maps.Keys(ours)), slices.Sorted(maps.Keys(theirs)); !slices.Equal(got, exp) {
		t.Errorf("families differ\n ours:   %v\n client: %v", got, exp)
	}
	for name, exp := range theirs {
		got, ok := ours[name]
		if !ok {
			continue
		}
		if got.GetType() != exp.GetType() {
			t.Errorf("%s: type %v, client %v", name, got.GetType(), exp.GetType())
		}
		if !strings.HasPrefix(name, "tm_") {
			continue
		}
		if g, e := text(t, got), text(t, exp); g != e {
			t.Errorf("%s differs\n ours:\n%s\n client:\n%s", name, g, e)
		}
	}
	// Each family once, sorted by name, as the client writes them.
	var names []string
	for line := range strings.Lines(rec.Body.String()) {
		if n, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names = append(names, strings.Fields(n)[0])
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("families not sorted or repeated: %v", names)
	}
}

func text(t *testing.T, mf *dto.MetricFamily) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMetricsGzip: a scraper that accepts gzip gets it; one that refuses it
// gets plain text.
func TestMetricsGzip(t *testing.T) {
	m := newMetrics()
	m.refreshes.Inc()
	for _, tc := range []struct {
		accept string
		gz     bool
	}{{"gzip", true}, {"deflate, gzip;q=0.5", true}, {"gzip;q=0", false}, {"", false}, {"identity", false}} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		rec := httptest.NewRecorder()
		m.handler().ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gz {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gz)
		}
		if tc.gz {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(string(body), "\ntm_oauth_refreshes_total 1\n") {
			t.Errorf("Accept-Encoding %q: body lacks the refresh count:\n%s", tc.accept, body)
		}
	}
}
