// Package metrics is what `certsync run` exposes on /metrics: runs, changes,
// pending drift, API traffic, run duration and the expiry of every managed
// certificate. Each Metrics has its own Prometheus registry (no global
// state), and the exposition format is the client library's.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
)

// Metrics holds certsync's series.
type Metrics struct {
	reg          *prometheus.Registry
	runs         *prometheus.CounterVec
	changes      *prometheus.CounterVec
	pending      *prometheus.GaugeVec
	requests     *prometheus.CounterVec
	errors       *prometheus.CounterVec
	duration     prometheus.Histogram
	expiry       *prometheus.GaugeVec
	lastSuccess  prometheus.Gauge
	attention    *prometheus.GaugeVec
	knownVendors []string
}

// New registers every series; vendors are pre-set to zero so dashboards see
// them before the first change.
func New(vendors []string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certsync_runs_total", Help: "Scheduled runs by result (ok, failed, changes_pending for plan-only runs with drift).",
		}, []string{"result"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certsync_changes_total", Help: "Applied changes by vendor, action and outcome.",
		}, []string{"vendor", "action", "status"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "certsync_pending_changes", Help: "Changes the last run planned and did not apply (drift), by vendor.",
		}, []string{"vendor"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certsync_api_requests_total", Help: "Vendor API requests by vendor and HTTP status code (\"error\" for transport failures).",
		}, []string{"vendor", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certsync_api_errors_total", Help: "Vendor API requests that failed (HTTP status >= 400 or transport error), by vendor and code.",
		}, []string{"vendor", "code"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "certsync_run_duration_seconds", Help: "Duration of a scheduled run.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 14),
		}),
		expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "certsync_certificate_expiry_timestamp_seconds", Help: "When each managed certificate expires (Unix time), as the vendor shows it.",
		}, []string{"vendor", "kind", "name"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "certsync_last_success_timestamp_seconds", Help: "When the last run without errors ended (Unix time).",
		}),
		attention: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "certsync_attention_items", Help: "Items the last run could not converge without a person (listed under \"needs attention\"), by vendor.",
		}, []string{"vendor"}),
		knownVendors: vendors,
	}
	m.reg.MustRegister(m.runs, m.changes, m.pending, m.requests, m.errors, m.duration, m.expiry, m.lastSuccess, m.attention)
	for _, r := range []string{"ok", "failed", "changes_pending"} {
		m.runs.WithLabelValues(r)
	}
	for _, v := range vendors {
		m.pending.WithLabelValues(v)
		m.attention.WithLabelValues(v)
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Transport counts a vendor's API requests by status code.
func (m *Metrics) Transport(vendor string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		m.requests.WithLabelValues(vendor, code).Inc()
		if err != nil || resp.StatusCode >= 400 {
			m.errors.WithLabelValues(vendor, code).Inc()
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ObservePlan records what a run saw: the outcome of every applied change
// (rep, nil for a plan-only run), the expiry of every certificate whose live
// object reports one (diff.Pair.Expires), and the changes still pending per
// vendor in plan (after an apply, the plan made once more).
func (m *Metrics) ObservePlan(pairs []diff.Pair, plan *diff.Plan, rep *apply.Report) {
	m.expiry.Reset() // items removed from the inventory stop being reported
	for _, p := range pairs {
		if t, ok := p.Expires(); ok {
			m.expiry.WithLabelValues(p.Address.Vendor, p.Address.Kind, p.Address.Name).Set(float64(t.Unix()))
		}
	}
	pending := map[string]int{}
	for _, v := range m.knownVendors {
		pending[v] = 0
	}
	if rep != nil {
		for _, r := range rep.Results {
			m.changes.WithLabelValues(r.Address.Vendor, string(r.Action), string(r.Status)).Inc()
		}
	}
	for _, c := range plan.Changes {
		pending[c.Address.Vendor]++
	}
	for v, n := range pending {
		m.pending.WithLabelValues(v).Set(float64(n))
	}
}

// ObserveAttention sets, per vendor, how many items of plan need a
// person's attention (plan.Attention, one per item however many messages
// it has); vendors without any go back to zero.
func (m *Metrics) ObserveAttention(plan *diff.Plan) {
	items := map[string]map[diff.Address]bool{}
	for _, v := range m.knownVendors {
		items[v] = map[diff.Address]bool{}
	}
	for _, in := range plan.Attention {
		if items[in.Address.Vendor] == nil {
			items[in.Address.Vendor] = map[diff.Address]bool{}
		}
		items[in.Address.Vendor][in.Address] = true
	}
	for v, set := range items {
		m.attention.WithLabelValues(v).Set(float64(len(set)))
	}
}

// ObserveRun records a finished run.
func (m *Metrics) ObserveRun(result string, took time.Duration, end time.Time) {
	m.runs.WithLabelValues(result).Inc()
	m.duration.Observe(took.Seconds())
	if result != "failed" {
		m.lastSuccess.Set(float64(end.Unix()))
	}
}
