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
	for _, p := range []string{"/dev/simulator/embed.go", "/dev/simulator/index.html", "/dev/simulator/home.html", "/dev/simulator/..%2fembed.go", "/dev/simulator/nope.js"} {
		if r := sandbox.Do(t, http.MethodGet, p, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: want 404, got %d", p, r.Status)
		}
	}
}

// TestHome: GET / sends people to the console; a sandbox server shows, in the browser's
// language, where the simulator and the console are.
func TestHome(t *testing.T) {
	real := webtest.Start(t, webtest.Options{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(real.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/admin/" {
		t.Fatalf("GET / without sandbox: want 302 to /admin/, got %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	sandbox := webtest.Start(t, webtest.Options{Sandbox: true})
	for _, c := range []struct{ accept, lang, words string }{
		{"", "zh-CN", "模拟器"},
		{"en-US,en;q=0.9", "en", "simulator"},
	} {
		r := sandbox.Do(t, http.MethodGet, "/", nil, "Accept-Language", c.accept)
		body := string(r.Raw)
		if r.Status != 200 || !strings.Contains(body, `<html lang="`+c.lang+`">`) || !strings.Contains(body, c.words) {
			t.Errorf("GET / (Accept-Language %q): want 200 in %s saying %q, got %d:\n%s", c.accept, c.lang, c.words, r.Status, body)
		}
		for _, link := range []string{`href="/dev/simulator"`, `href="/admin/"`} {
			if !strings.Contains(body, link) {
				t.Errorf("GET / (%s): no link %s", c.lang, link)
			}
		}
	}
}
