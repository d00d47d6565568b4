package devtools_test

import (
	"net/http"
	"strings"
	"testing"

	"wxbind/docs"
	"wxbind/web/webtest"
)

func TestOpenAPIIsServedReadOnly(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	r := app.Do(t, http.MethodGet, "/docs/openapi.yaml", nil)
	if r.Status != 200 || string(r.Raw) != docs.OpenAPI() {
		t.Fatalf("GET /docs/openapi.yaml: want 200 with docs/openapi.yaml, got %d (%d bytes)", r.Status, len(r.Raw))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("want X-Content-Type-Options: nosniff")
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if r := app.Do(t, method, "/docs/openapi.yaml", "x"); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s /docs/openapi.yaml: want 405, got %d", method, r.Status)
		}
	}
}

// TestSimulatorOnlyInSandbox: with real WeChat the simulator, which logs anyone in as any
// WeChat user it makes up, does not exist.
func TestSimulatorOnlyInSandbox(t *testing.T) {
	real := webtest.Start(t, webtest.Options{})
	for _, p := range []string{"/dev/simulator", "/dev/simulator/sim.js", "/dev/simulator/sim.css"} {
		if r := real.Do(t, http.MethodGet, p, nil); r.Status != http.StatusNotFound {
			t.Errorf("without sandbox GET %s: want 404, got %d", p, r.Status)
		}
	}

	sandbox := webtest.Start(t, webtest.Options{Sandbox: true})
	for _, c := range []struct{ path, contentType, contains string }{
		{"/dev/simulator", "text/html", `data-testid="wx-login"`},
		{"/dev/simulator/sim.js", "text/javascript", "/mobileApi/user/checkBind"},
		{"/dev/simulator/sim.css", "text/css", ".phone"},
	} {
		r := sandbox.Do(t, http.MethodGet, c.path, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), c.contentType) || !strings.Contains(string(r.Raw), c.contains) {
			t.Errorf("GET %s: want 200 %s holding %q, got %d %s", c.path, c.contentType, c.contains, r.Status, r.Header.Get("Content-Type"))
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: want a same-origin Content-Security-Policy, got %q", c.path, csp)
		}
	}
	for _, p := range []string{"/dev/simulator/embed.go", "/dev/simulator/index.html", "/dev/simulator/..%2fembed.go", "/dev/simulator/nope.js"} {
		if r := sandbox.Do(t, http.MethodGet, p, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: want 404, got %d", p, r.Status)
		}
	}
}
