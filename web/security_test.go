package web_test

import (
	"net/http"
	"strings"
	"testing"

	"wxbind/web/webtest"
)

func TestConsoleSecurityHeaders(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	for _, path := range []string{"/admin/login", "/admin/", "/admin/users"} {
		r := app.Do(t, http.MethodGet, path, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q must forbid inline script and framing", path, csp)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, r.Header)
		}
	}
}
