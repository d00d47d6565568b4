package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"wxbind/account"
	"wxbind/web/webtest"
)

// browser is one person's cookie jar against the app; it never follows redirects, so tests
// see each 303. Its Accept-Language is empty (the console's default, Chinese) unless made with
// newBrowserIn.
type browser struct {
	t              testing.TB
	app            *webtest.App
	client         *http.Client
	acceptLanguage string
}

// newBrowserIn is a browser whose requests ask for a language, e.g. "en-US,en;q=0.9".
func newBrowserIn(t testing.TB, app *webtest.App, acceptLanguage string) *browser {
	b := newBrowser(t, app)
	b.acceptLanguage = acceptLanguage
	return b
}

func newBrowser(t testing.TB, app *webtest.App) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, app: app, client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer: status, headers and, for HTML, the parsed document.
type page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
	Doc      *goquery.Document
}

// testid finds elements by data-testid.
func (p page) testid(id string) *goquery.Selection {
	return p.Doc.Find(`[data-testid="` + id + `"]`)
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.acceptLanguage != "" {
		req.Header.Set("Accept-Language", b.acceptLanguage)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if p.Doc, err = goquery.NewDocumentFromReader(strings.NewReader(p.Body)); err != nil {
			b.t.Fatal(err)
		}
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a same-origin browser would: with Sec-Fetch-Site and Origin.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.app.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.app.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// login logs in through the form and fails the test unless it lands on the dashboard.
func (b *browser) login(username, password string) {
	b.t.Helper()
	p := b.post("/admin/login", url.Values{"username": {username}, "password": {password}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/" {
		b.t.Fatalf("login %s: want 303 to /admin/, got %d %q\n%s", username, p.Status, p.Location, p.Body)
	}
}

// sessionCookie is the console cookie's value, or "".
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.app.URL + "/admin/")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "wxbind_console" {
			return c.Value
		}
	}
	return ""
}

// setRole changes an account's role directly in the database, as another admin's edit would.
func setRole(t testing.TB, app *webtest.App, a account.Account, role string) {
	t.Helper()
	if err := app.Store.UpdateAccountFields(context.Background(), a.ID, a.Name, role, a.Status, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}

func mustStatus(t testing.TB, what string, p page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("%s: want %d, got %d (Location %q)\n%s", what, want, p.Status, p.Location, p.Body)
	}
}

func mustRedirect(t testing.TB, what string, p page, to string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != to {
		t.Fatalf("%s: want 303 to %q, got %d to %q\n%s", what, to, p.Status, p.Location, p.Body)
	}
}
