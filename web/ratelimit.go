package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"wxbind/i18n"
	"wxbind/web/requestinfo"
)

// RateLimits sets the per-client-address and per-account request rates. With Deps.SharedLimits
// (REDIS_URL) every instance counts in one Redis and they share these rates; without it, or while
// Redis does not answer, each instance counts on its own, so N instances behind a balancer allow
// up to N times these rates. The per-username password lockouts are kept in the database and
// shared by all instances either way.
type RateLimits struct {
	CheckBind    Rate // generous: a whole office may share one NAT address
	Bind         Rate
	ConsoleLogin Rate
	// UserData is per logged-in account, not per address: phone, checkSession and avatar,
	// each of which may spend the appid's daily WeChat quota.
	UserData Rate
	// ScanLogin is the phone's scan, confirm and cancel of a console login, counted both per
	// address and per account. ScanLoginStart is the console's scan tab opening a request, per
	// address.
	ScanLogin      Rate
	ScanLoginStart Rate
}

// Rate is a token bucket: PerSecond sustained, Burst at once. Zero PerSecond turns it off.
type Rate struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimits fit one mini-program's traffic through one NAT address.
var DefaultRateLimits = RateLimits{
	CheckBind:    Rate{PerSecond: 20, Burst: 200},
	Bind:         Rate{PerSecond: 1, Burst: 20},
	ConsoleLogin: Rate{PerSecond: 0.5, Burst: 10},
	UserData:     Rate{PerSecond: 0.2, Burst: 10},
	// A login is a scan and a confirm; a few retries fit, a scanner trying scenes does not.
	ScanLogin:      Rate{PerSecond: 0.2, Burst: 10},
	ScanLoginStart: Rate{PerSecond: 0.2, Burst: 20},
}

// keyedLimiter keeps a token bucket per key (a client address, an account), forgetting idle ones.
type keyedLimiter struct {
	rate    Rate
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds memory when many addresses come and go.
const maxBuckets = 100_000

func newKeyedLimiter(r Rate) *keyedLimiter {
	return &keyedLimiter{rate: r, buckets: map[string]*bucket{}}
}

// reserve takes a token for key; when none is left it returns how long until one is.
func (k *keyedLimiter) reserve(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > time.Minute || len(k.buckets) >= maxBuckets {
		k.sweep(now)
	}
	b := k.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(k.rate.PerSecond), k.rate.Burst)}
		k.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request does not use up the future
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to have refilled; when that is not enough it drops all,
// which only ever errs towards letting requests through.
func (k *keyedLimiter) sweep(now time.Time) {
	refill := time.Duration(float64(k.rate.Burst)/k.rate.PerSecond*float64(time.Second)) + time.Minute
	for key, b := range k.buckets {
		if now.Sub(b.seen) > refill {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= maxBuckets {
		k.buckets = map[string]*bucket{}
	}
	k.swept = now
}

// clientKey is the client address, with IPv6 cut to its /64: one host holds a whole /64.
func clientKey(c *gin.Context) string {
	ip := net.ParseIP(c.ClientIP())
	if ip == nil {
		return c.ClientIP()
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// limitPerClient refuses requests past r from one client address with 429 and Retry-After.
func limitPerClient(name string, r Rate, shared *SharedLimits, now func() time.Time) gin.HandlerFunc {
	return limitBy(name, r, shared, now, func(c *gin.Context) (string, bool) { return clientKey(c), true })
}

// limitPerAccount refuses a logged-in account's requests past r, so that one user cannot spend
// the appid's WeChat quota for everyone. Use after RequireToken.
func limitPerAccount(name string, r Rate, shared *SharedLimits, now func() time.Time) gin.HandlerFunc {
	return limitBy(name, r, shared, now, func(c *gin.Context) (string, bool) {
		id, ok := requestinfo.UserID(c)
		return strconv.FormatUint(id, 10), ok // not ok: RequireToken has refused the request already
	})
}

// limitBy keeps a budget per key and refuses requests past r with 429 and Retry-After; a request
// without a key passes. The budget is counted in shared when it is set and answers, else in this
// instance's memory. name tells the limits apart in Redis.
func limitBy(name string, r Rate, shared *SharedLimits, now func() time.Time, key func(*gin.Context) (string, bool)) gin.HandlerFunc {
	if r.PerSecond <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	lim := newKeyedLimiter(r)
	return func(c *gin.Context) {
		k, ok := key(c)
		if !ok {
			c.Next()
			return
		}
		var (
			allowed bool
			wait    time.Duration
			err     = errNotTried
		)
		if shared != nil {
			allowed, wait, err = shared.allow(c.Request.Context(), name, k, r)
		}
		if err != nil {
			allowed, wait = lim.reserve(k, now())
		}
		if allowed {
			c.Next()
			return
		}
		refuseTooMany(c, max(1, int(math.Ceil(wait.Seconds()))))
	}
}

// refuseTooMany answers 429: JSON with code 0 to the mini-program, text to the console.
func refuseTooMany(c *gin.Context, secs int) {
	c.Header("Retry-After", strconv.Itoa(secs))
	if isMobile(c) {
		msg := i18n.FromContext(c).Tf("mobile.rate_limited", map[string]any{"Seconds": secs})
		c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"code": 0, "msg": msg, "reason": "rate_limited"})
		return
	}
	msg := "Too many requests from your address. Wait " + strconv.Itoa(secs) + " seconds and try again."
	if tr := i18n.FromContext(c); tr.Has("console.rate_limited") { // the console's login, in its reader's language
		msg = tr.Tf("console.rate_limited", map[string]any{"Seconds": secs})
	}
	c.Data(http.StatusTooManyRequests, "text/plain; charset=utf-8", []byte(msg))
	c.Abort()
}
