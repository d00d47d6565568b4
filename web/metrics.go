package web

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"wxbind/web/requestinfo"
)

// Metrics are the server's Prometheus metrics, on a registry of their own (no global state).
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	wechat   *prometheus.CounterVec
	wechatD  *prometheus.HistogramVec
}

// NewMetrics registers the metrics, with Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxbind_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wxbind_http_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxbind_mobile_outcomes_total",
			Help: `Mini-program API results by route and outcome: "login" (a token was issued), "not_bound", "ok", or the failure reason.`,
		}, []string{"route", "outcome"}),
		wechat: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxbind_wechat_calls_total", Help: "Calls to the WeChat API by API and outcome (ok, errcode_N, unavailable).",
		}, []string{"api", "outcome"}),
		wechatD: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wxbind_wechat_call_duration_seconds", Help: "WeChat API call latency.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"api"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.outcomes, m.wechat, m.wechatD,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchDB adds the connection pool's statistics.
func (m *Metrics) WatchDB(db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, "wxbind"))
}

// watchSharedLimits adds whether the rate limits are counted in Redis right now, and how many
// calls to Redis failed. A second handler on the same Metrics (tests) finds them there already.
func (m *Metrics) watchSharedLimits(sl *SharedLimits) {
	shared := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wxbind_rate_limits_shared",
		Help: "1 while the rate limits are counted in Redis for every instance; 0 while Redis does not answer and this instance counts alone.",
	}, func() float64 {
		if sl.State().Shared {
			return 1
		}
		return 0
	})
	failures := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "wxbind_rate_limit_redis_failures_total",
		Help: "Calls to Redis for a rate limit that failed (each such request was counted by this instance alone).",
	}, func() float64 { return float64(sl.State().Failures) })
	for _, c := range []prometheus.Collector{shared, failures} {
		if err := m.registry.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(err) // a programming error: a metric name taken twice
		}
	}
}

// ObserveWeChat records one WeChat API call; the wechat client calls it.
func (m *Metrics) ObserveWeChat(api, outcome string, d time.Duration) {
	m.wechat.WithLabelValues(api, outcome).Inc()
	m.wechatD.WithLabelValues(api).Observe(d.Seconds())
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// middleware counts every request by its route template, never by raw path, so the label set
// stays small whatever clients send.
func (m *Metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
		outcome := requestinfo.Outcome(c)
		if outcome == "" && isMobile(c) && c.Writer.Status() < 300 {
			outcome = "ok"
		}
		if outcome != "" {
			m.outcomes.WithLabelValues(route, outcome).Inc()
		}
	}
}
