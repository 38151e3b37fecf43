package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are one server's Prometheus series. Each Server has its own
// registry, so two servers in one process (tests) never collide.
type metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	durations       *prometheus.HistogramVec
	refreshes       prometheus.Counter
	refreshFailures *prometheus.CounterVec
	jiraDurations   *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tm_http_requests_total", Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tm_http_request_duration_seconds", Help: "Time to serve a request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		refreshes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tm_oauth_refreshes_total", Help: "OAuth refresh-token grants spent successfully by this process.",
		}),
		refreshFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tm_oauth_refresh_failures_total", Help: "OAuth refreshes that failed, by reason (invalid_grant, unavailable, other).",
		}, []string{"reason"}),
		jiraDurations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tm_jira_request_duration_seconds", Help: "Outbound Jira REST calls, by method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "status"}),
	}
	m.reg.MustRegister(m.requests, m.durations, m.refreshes, m.refreshFailures, m.jiraDurations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
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
