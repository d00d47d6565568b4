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

// TestConsoleImagesOnlyFromAvatarOrigins: the console's CSP lets images come from itself and the
// places an avatar URL may point (PUBLIC_URL, AVATAR_HOSTS) alone — not from any http(s) host,
// which let a user learn staff members' addresses from their own server's logs.
func TestConsoleImagesOnlyFromAvatarOrigins(t *testing.T) {
	for name, tc := range map[string]struct {
		opt  webtest.Options
		want string
	}{
		"defaults":   {webtest.Options{}, "img-src 'self' data: APP https://thirdwx.qlogo.cn https://wx.qlogo.cn;"},
		"configured": {webtest.Options{PublicURL: "https://api.example.com", AvatarHosts: []string{"img.example.com"}}, "img-src 'self' data: https://api.example.com https://img.example.com;"},
		"no hosts":   {webtest.Options{PublicURL: "https://api.example.com", AvatarHosts: []string{}}, "img-src 'self' data: https://api.example.com;"},
	} {
		t.Run(name, func(t *testing.T) {
			app := webtest.Start(t, tc.opt)
			want := strings.Replace(tc.want, "APP", app.URL, 1)
			for _, path := range []string{"/admin/login", "/admin/no-such-page"} {
				if csp := app.Do(t, http.MethodGet, path, nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q, want %q", path, csp, want)
				}
			}
		})
	}
}
