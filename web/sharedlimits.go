package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// SharedLimits counts the request limits in Redis (GCRA, through redis_rate), so that every
// server instance using the same Redis spends one budget per address or account. While Redis
// does not answer, each instance counts on its own again: requests are still served and limited,
// only N instances allow up to N times the rate until Redis is back.
type SharedLimits struct {
	client  *redis.Client
	limiter *redis_rate.Limiter
	prefix  string
	log     *slog.Logger
	timeout time.Duration
	retry   time.Duration

	mu        sync.Mutex
	down      bool      // the last call to Redis failed: counting per instance
	downSince time.Time // when it started failing
	nextTry   time.Time // while down, when one request may try Redis again
	failures  uint64    // calls to Redis that failed, for /metrics
}

// SharedLimitsConfig says where Redis is and how long to wait for it.
type SharedLimitsConfig struct {
	// URL is REDIS_URL, e.g. redis://:password@10.0.0.5:6379/0 (rediss:// for TLS).
	URL string
	// Prefix starts every key; default "wxbind:". Instances that share a budget share it.
	Prefix string
	Logger *slog.Logger
	// Timeout bounds each call to Redis, after which the request is counted locally; default 250ms.
	Timeout time.Duration
	// RetryEvery is how often, while Redis fails, one request tries it again; default 1s.
	RetryEvery time.Duration
}

// NewSharedLimits connects lazily: an unreachable Redis at start is not an error, only a
// malformed URL is.
func NewSharedLimits(cfg SharedLimitsConfig) (*SharedLimits, error) {
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		var ue *url.Error // its text quotes the URL, password included: keep only why
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("REDIS_URL is not a Redis URL like redis://[:password@]host:6379[/db]: %v", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = time.Second
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "wxbind:"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// A limit check must never hold a request up: short timeouts, no retries (the local
	// limiter is the fallback), a small pool that fails fast when Redis stalls.
	opt.DialTimeout = cfg.Timeout
	opt.ReadTimeout = cfg.Timeout
	opt.WriteTimeout = cfg.Timeout
	opt.PoolTimeout = cfg.Timeout
	opt.MaxRetries = -1
	opt.DialerRetries = 1 // a refused connection fails the check at once
	opt.ContextTimeoutEnabled = true
	// go-redis logs every failed dial through one process-wide logger; at Debug they do not
	// drown the single line an outage gets from failed().
	redis.SetLogger(redisLog{cfg.Logger})
	client := redis.NewClient(opt)
	return &SharedLimits{
		client: client, limiter: redis_rate.NewLimiter(client), prefix: cfg.Prefix,
		log: cfg.Logger, timeout: cfg.Timeout, retry: cfg.RetryEvery,
	}, nil
}

// redisLog hands go-redis's own messages to slog at Debug.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
}

// Close closes the connections to Redis.
func (s *SharedLimits) Close() error { return s.client.Close() }

// errNotTried: Redis failed a moment ago and it is not yet time to try again.
var errNotTried = errors.New("redis not tried: it failed recently")

// allow takes one request from the shared budget of name+key. An error means Redis did not
// answer and the caller counts the request locally instead.
func (s *SharedLimits) allow(ctx context.Context, name, key string, r Rate) (ok bool, retryAfter time.Duration, err error) {
	if !s.mayTry(time.Now()) {
		return false, 0, errNotTried
	}
	// The request's own deadline must not make Redis look down: a client that gave up is not
	// Redis failing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	res, err := s.limiter.Allow(ctx, s.prefix+name+":"+key, gcra(r))
	if err != nil {
		s.failed(err)
		return false, 0, err
	}
	s.succeeded()
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, res.RetryAfter, nil
}

// gcra is r as redis_rate's limit: one request per 1/PerSecond, Burst at once.
func gcra(r Rate) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Period: time.Duration(float64(time.Second) / r.PerSecond), Burst: r.Burst}
}

// mayTry: always while Redis answers; while it does not, one request per RetryEvery.
func (s *SharedLimits) mayTry(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down || !now.Before(s.nextTry) {
		s.nextTry = now.Add(s.retry)
		return true
	}
	return false
}

func (s *SharedLimits) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	if s.down {
		return
	}
	s.down, s.downSince = true, time.Now()
	s.log.Warn("redis unreachable: rate limits counted per instance until it answers", "error", err)
}

func (s *SharedLimits) succeeded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		return
	}
	s.down = false
	s.log.Info("redis answers again: rate limits shared", "after", time.Since(s.downSince).Round(time.Millisecond))
}

// Check pings Redis now, so that /readyz reports what is true even when no limited request came.
func (s *SharedLimits) Check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		s.failed(err)
		return
	}
	s.succeeded()
}

// SharedLimitsState is what /readyz and /metrics show.
type SharedLimitsState struct {
	Shared    bool      // counting in Redis
	DownSince time.Time // when not: since when
	Failures  uint64
}

// State reports whether the limits are shared right now.
func (s *SharedLimits) State() SharedLimitsState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SharedLimitsState{Shared: !s.down, Failures: s.failures}
	if s.down {
		st.DownSince = s.downSince
	}
	return st
}
