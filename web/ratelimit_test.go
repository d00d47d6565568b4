package web_test

import (
	"net/http"
	"strconv"
	"testing"

	"wxbind/web"
	"wxbind/web/webtest"
)

func TestRateLimitPerClient(t *testing.T) {
	app := webtest.Start(t, webtest.Options{RateLimits: &web.RateLimits{CheckBind: web.Rate{PerSecond: 0.01, Burst: 3}}})
	for i := range 3 {
		if r := app.CheckBind(t, "err:40029"); r.Status != 502 {
			t.Fatalf("request %d within the burst: %d %s", i, r.Status, r.Raw)
		}
	}
	r := app.CheckBind(t, "err:40029")
	if r.Status != http.StatusTooManyRequests || r.Code() != 0 || r.String("reason") != "rate_limited" || r.String("msg") == "" {
		t.Fatalf("past the burst: want 429 code 0 with msg, got %d %s", r.Status, r.Raw)
	}
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After must be whole seconds, got %q", r.Header.Get("Retry-After"))
	}
	// a made-up X-Forwarded-For does not buy a fresh bucket when no proxy is trusted
	r = app.Do(t, http.MethodGet, "/mobileApi/user/checkBind?code=err:40029", nil, "X-Forwarded-For", "198.51.100.7")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For dodged the limit: %d", r.Status)
	}
	// other routes are not limited by checkBind's bucket
	if r := app.Do(t, http.MethodGet, "/healthz", nil); r.Status != 200 {
		t.Fatalf("healthz: %d", r.Status)
	}
}

// TestTrustedProxyForwardedFor: behind a configured proxy, each forwarded client gets its own
// bucket.
func TestTrustedProxyForwardedFor(t *testing.T) {
	app := webtest.Start(t, webtest.Options{
		RateLimits:     &web.RateLimits{CheckBind: web.Rate{PerSecond: 0.01, Burst: 1}},
		TrustedProxies: []string{"127.0.0.1"},
	})
	for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
		r := app.Do(t, http.MethodGet, "/mobileApi/user/checkBind?code=err:40029", nil, "X-Forwarded-For", client)
		if r.Status != 502 {
			t.Fatalf("first request of %s: %d", client, r.Status)
		}
	}
	r := app.Do(t, http.MethodGet, "/mobileApi/user/checkBind?code=err:40029", nil, "X-Forwarded-For", "198.51.100.1")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("second request of one forwarded client: want 429, got %d", r.Status)
	}
}
