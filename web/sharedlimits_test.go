package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wxbind/web"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// localRedis is the Redis the shared-limit tests use unless TEST_REDIS_URL names another.
const localRedis = "redis://127.0.0.1:6379/0"

// requireRedis skips the test when no Redis answers at url, or fails it under CI.
func requireRedis(t *testing.T, url string) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		msg := fmt.Sprintf("no Redis at %s (apt-get install -y redis-server, or set TEST_REDIS_URL): %v", url, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// newSharedLogged connects one instance's limiter and returns what it logs; every instance of a
// test shares prefix, and no other test or run does.
func newSharedLogged(t *testing.T, url, prefix string, retry time.Duration) (*web.SharedLimits, *webtest.SyncBuffer) {
	t.Helper()
	logs := &webtest.SyncBuffer{}
	// A generous timeout: on a loaded test machine Redis can take longer than the default 250 ms,
	// and a request counted locally then would make the shared budget look unshared. A stopped
	// Redis refuses connections at once, so the outage test does not wait for it.
	sl, err := web.NewSharedLimits(web.SharedLimitsConfig{URL: url, Prefix: prefix, RetryEvery: retry, Timeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	return sl, logs
}

func testPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "wxbind-test-" + hex.EncodeToString(b) + ":"
}

// TestSharedLimitsOneBudgetForTwoInstances: two instances on one database and one Redis spend
// one budget per address and one per account, whichever instance each request reaches.
func TestSharedLimitsOneBudgetForTwoInstances(t *testing.T) {
	url := localRedis
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		url = u
	}
	requireRedis(t, url)
	prefix := testPrefix()
	limits := &web.RateLimits{CheckBind: web.Rate{PerSecond: 0.01, Burst: 4}, UserData: web.Rate{PerSecond: 0.01, Burst: 4}}
	slA, logsA := newSharedLogged(t, url, prefix, 0)
	slB, logsB := newSharedLogged(t, url, prefix, 0)
	a := webtest.Start(t, webtest.Options{RateLimits: limits, SharedLimits: slA})
	b := webtest.Start(t, webtest.Options{RateLimits: limits, SharedLimits: slB, DB: &a.DB})

	// Per address: four checkBinds in all, alternating, then both refuse.
	for i, app := range []*webtest.App{a, b, a, b} {
		if r := app.CheckBind(t, wechattest.Code("shared")); r.Status != http.StatusOK || r.Code() != 301 {
			t.Fatalf("checkBind %d within the shared burst: %d %s", i, r.Status, r.Raw)
		}
	}
	for name, app := range map[string]*webtest.App{"a": a, "b": b} {
		if r := app.CheckBind(t, wechattest.Code("shared")); r.Status != http.StatusTooManyRequests || r.String("reason") != "rate_limited" {
			t.Fatalf("instance %s after the shared burst: want 429, got %d %s", name, r.Status, r.Raw)
		}
	}

	// Per account: the token works on both instances (one database); four user-data calls in
	// all. (Each instance has its own fake WeChat, so what they answer differs; only 429 counts.)
	// alice binds through a third instance without limits, so that the bind's checkBind does
	// not need the per-address budget spent above.
	a.CreateAccount(t, "alice", "alice-password", "user")
	token := webtest.Start(t, webtest.Options{DB: &a.DB}).BindNew(t, "alice-phone", "alice", "alice-password")
	for i, app := range []*webtest.App{a, b, a, b} {
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", token, nil); r.Status == http.StatusTooManyRequests || r.Status >= 500 {
			t.Fatalf("checkSession %d within the account's shared burst: %d %s", i, r.Status, r.Raw)
		}
	}
	for name, app := range map[string]*webtest.App{"a": a, "b": b} {
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", token, nil); r.Status != http.StatusTooManyRequests {
			t.Fatalf("instance %s after the account's shared burst: want 429, got %d %s", name, r.Status, r.Raw)
		}
	}
	if strings.Contains(logsA.String()+logsB.String(), "redis unreachable") {
		t.Fatal("a reachable Redis was logged as unreachable")
	}
}

// TestSharedLimitsSurviveRedisStopping: Redis stops under two instances; both keep serving with
// limits of their own, log it once, show it in /readyz and /metrics, and share again once Redis
// is back, by themselves.
func TestSharedLimitsSurviveRedisStopping(t *testing.T) {
	rs := startRedis(t)
	url := "redis://" + rs.addr + "/0"
	prefix := testPrefix()
	limits := &web.RateLimits{CheckBind: web.Rate{PerSecond: 0.01, Burst: 3}}
	metrics := web.NewMetrics()
	slA, logsA := newSharedLogged(t, url, prefix, 100*time.Millisecond)
	slB, logsB := newSharedLogged(t, url, prefix, 100*time.Millisecond)
	a := webtest.Start(t, webtest.Options{RateLimits: limits, SharedLimits: slA, Metrics: metrics})
	b := webtest.Start(t, webtest.Options{RateLimits: limits, SharedLimits: slB, DB: &a.DB})
	logs := map[string]*webtest.SyncBuffer{"a": logsA, "b": logsB}
	checkBind := func(app *webtest.App) int {
		r := app.CheckBind(t, wechattest.Code("stopping"))
		if r.Status >= 500 {
			t.Fatalf("checkBind answered %d %s", r.Status, r.Raw)
		}
		return r.Status
	}
	sharedBudget := func(when string) {
		t.Helper()
		for i, app := range []*webtest.App{a, b, a} {
			if s := checkBind(app); s != http.StatusOK {
				t.Fatalf("%s: checkBind %d within the shared burst: %d", when, i, s)
			}
		}
		if s := checkBind(b); s != http.StatusTooManyRequests {
			t.Fatalf("%s: the second instance did not see the first's requests: %d, want 429", when, s)
		}
	}
	sharedBudget("Redis up")
	if got := readyLimits(t, a); got != "redis" {
		t.Fatalf("/readyz with Redis up: limits counted %q", got)
	}
	if v := metricValue(t, metrics, "wxbind_rate_limits_shared"); v != "1" {
		t.Fatalf("wxbind_rate_limits_shared with Redis up: %q", v)
	}

	rs.stop(t)
	// Each instance now counts alone: its own burst of 3, then 429; never a 5xx.
	for name, app := range map[string]*webtest.App{"a": a, "b": b} {
		for i := range 3 {
			if s := checkBind(app); s != http.StatusOK {
				t.Fatalf("instance %s, Redis down, request %d within its own burst: %d", name, i, s)
			}
		}
		if s := checkBind(app); s != http.StatusTooManyRequests {
			t.Fatalf("instance %s, Redis down, past its own burst: %d, want 429", name, s)
		}
	}
	ready := a.Do(t, http.MethodGet, "/readyz", nil)
	if ready.Status != http.StatusOK || readyLimits(t, a) != "per-instance" || !strings.Contains(string(ready.Raw), "unreachable since") {
		t.Fatalf("/readyz with Redis down: %d %s", ready.Status, ready.Raw)
	}
	if v := metricValue(t, metrics, "wxbind_rate_limits_shared"); v != "0" {
		t.Fatalf("wxbind_rate_limits_shared with Redis down: %q", v)
	}
	if v := metricValue(t, metrics, "wxbind_rate_limit_redis_failures_total"); v == "0" || v == "" {
		t.Fatalf("wxbind_rate_limit_redis_failures_total with Redis down: %q", v)
	}
	for name, l := range logs {
		if n := strings.Count(l.String(), "redis unreachable"); n != 1 {
			t.Fatalf("instance %s logged Redis unreachable %d times, want once:\n%s", name, n, l.String())
		}
	}

	rs.start(t) // empty again: a fresh shared budget
	deadline := time.Now().Add(5 * time.Second)
	for readyLimits(t, a) != "redis" {
		if time.Now().After(deadline) {
			t.Fatal("the limits were not shared again within 5 s of Redis coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond) // past b's retry interval: its next request tries Redis
	sharedBudget("Redis back")
	if v := metricValue(t, metrics, "wxbind_rate_limits_shared"); v != "1" {
		t.Fatalf("wxbind_rate_limits_shared with Redis back: %q", v)
	}
	for name, l := range logs {
		if n := strings.Count(l.String(), "redis answers again"); n != 1 {
			t.Fatalf("instance %s logged the recovery %d times, want once:\n%s", name, n, l.String())
		}
	}
}

// readyLimits is how /readyz says the rate limits are counted.
func readyLimits(t *testing.T, app *webtest.App) string {
	t.Helper()
	r := app.Do(t, http.MethodGet, "/readyz", nil)
	limits, _ := r.Body["rateLimits"].(map[string]any)
	s, _ := limits["counted"].(string)
	return s
}

// metricValue reads one unlabelled metric from the Prometheus text.
func metricValue(t *testing.T, m *web.Metrics, name string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// privateRedis is a redis-server of the test's own, on a free loopback port, that the test
// stops and starts again; the shared one on 6379 is never touched.
type privateRedis struct {
	bin, dir, addr string
	cmd            *exec.Cmd
}

func startRedis(t *testing.T) *privateRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "no redis-server to start (apt-get install -y redis-server)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rs := &privateRedis{bin: bin, dir: t.TempDir(), addr: addr}
	rs.start(t)
	t.Cleanup(func() { rs.stop(t) })
	return rs
}

func (rs *privateRedis) start(t *testing.T) {
	t.Helper()
	_, port, _ := net.SplitHostPort(rs.addr)
	rs.cmd = exec.Command(rs.bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", rs.dir, "--logfile", filepath.Join(rs.dir, "redis.log"))
	if err := rs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", rs.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(rs.dir, "redis.log"))
			t.Fatalf("redis-server on %s did not start: %v\n%s", rs.addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (rs *privateRedis) stop(t *testing.T) {
	t.Helper()
	if rs.cmd == nil {
		return
	}
	rs.cmd.Process.Kill()
	rs.cmd.Wait()
	rs.cmd = nil
}

// TestSharedLimitsBadURL: a malformed REDIS_URL stops the start with a message that does not
// repeat the password it holds.
func TestSharedLimitsBadURL(t *testing.T) {
	_, err := web.NewSharedLimits(web.SharedLimitsConfig{URL: "redis://:hunter2%zz@127.0.0.1:6379/0"})
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed REDIS_URL answered %v", err)
	}
	if _, err := web.NewSharedLimits(web.SharedLimitsConfig{URL: "http://127.0.0.1:6379"}); err == nil {
		t.Fatal("an http URL was taken for Redis")
	}
}
