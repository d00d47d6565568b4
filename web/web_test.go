package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/web"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

func TestHealthAndReadiness(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	if r := app.Do(t, http.MethodGet, "/healthz", nil); r.Status != 200 {
		t.Fatalf("healthz: %d", r.Status)
	}
	if r := app.Do(t, http.MethodGet, "/readyz", nil); r.Status != 200 {
		t.Fatalf("readyz: %d %s", r.Status, r.Raw)
	}
	sqlDB, _ := app.DB.Gorm.DB()
	sqlDB.Close()
	if r := app.Do(t, http.MethodGet, "/readyz", nil); r.Status != 503 {
		t.Fatalf("readyz with the database gone: want 503, got %d", r.Status)
	}
	// and the API fails with a clear JSON error, not a hang or a panic
	r := app.CheckBind(t, wechattest.Code("db-gone"))
	if r.Status != 503 || r.Code() != 0 || r.String("msg") == "" {
		t.Fatalf("checkBind with the database gone: %d %s", r.Status, r.Raw)
	}
}

// TestForwardedForIgnoredByDefault: with no trusted proxy, a made-up X-Forwarded-For must not
// change the client address the audit log and rate limits see.
func TestForwardedForIgnoredByDefault(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "ray", "ray-password", "user")
	r := app.CheckBind(t, wechattest.Code("ray-phone"))
	app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "username": "ray", "password": "ray-password"},
		"X-Forwarded-For", "203.0.113.9", "X-Real-Ip", "203.0.113.9")
	var ips []string
	app.DB.Gorm.Model(&models.AuditEntry{}).Pluck("ip", &ips)
	if len(ips) != 1 || ips[0] != "127.0.0.1" {
		t.Fatalf("audit IP must be the connection's, got %v", ips)
	}
}

func TestRequestIDEchoed(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	r := app.Do(t, http.MethodGet, "/healthz", nil, "X-Request-Id", "abc-123")
	if r.Header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("sane request id must be kept: %q", r.Header.Get("X-Request-Id"))
	}
	r = app.Do(t, http.MethodGet, "/healthz", nil, "X-Request-Id", "bad id\twith spaces")
	if id := r.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("an unsafe request id must be replaced, got %q", id)
	}
}

// TestGracefulShutdown stops the server while a request is in flight; the request finishes.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	})
	srv := web.NewServer("127.0.0.1:0", h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, stop := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, srv, func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr.String() + "/")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body <- string(b)
	}()
	<-started
	stop()
	if got := <-body; got != "finished" {
		t.Fatalf("in-flight request must finish during shutdown, got %q", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond); err == nil {
		t.Fatal("the server must stop listening after shutdown")
	}
}

// TestServerLimits: the production server refuses oversized headers before any handler runs.
func TestServerLimits(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := web.NewServer("127.0.0.1:0", h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Fatalf("every server timeout must be set: %+v", srv)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addrc := make(chan net.Addr, 1)
	go web.Serve(ctx, srv, func(a net.Addr) { addrc <- a })
	addr := (<-addrc).String()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 64 KB header: want 431, got %d", resp.StatusCode)
	}
}

// TestAccessLogNamesTheAccount: a request made as an account — by mini-program token or console
// session — is logged with that account's id; an anonymous one with none.
func TestAccessLogNamesTheAccount(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	una := app.CreateAccount(t, "una", "una-password", "user")
	boss := app.CreateAccount(t, "boss", "boss-password", "admin")
	token := app.BindNew(t, "una-phone", "una", "una-password")
	app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
	app.Do(t, http.MethodGet, "/healthz", nil)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(app.URL+"/admin/login", url.Values{"username": {"boss"}, "password": {"boss-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = browser.Get(app.URL + "/admin/"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console dashboard after login: %d", resp.StatusCode)
	}

	// A page larger than the write buffer reaches the client before its log line is written.
	logged := func(route string) string {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for line := range strings.Lines(app.Logs.String()) {
				if strings.Contains(line, "msg=request ") && strings.Contains(line, " route="+route+" ") {
					return line
				}
			}
		}
		t.Fatalf("no access log line for %s:\n%s", route, app.Logs.String())
		return ""
	}
	for route, want := range map[string]uint64{"/mobileApi/user/bind": una.ID, "/mobileApi/user/info": una.ID, "/admin/": boss.ID} {
		if line := logged(route); !strings.Contains(line, fmt.Sprintf(" user_id=%d", want)) {
			t.Errorf("%s: want user_id=%d in %q", route, want, line)
		}
	}
	if line := logged("/healthz"); strings.Contains(line, "user_id") {
		t.Errorf("anonymous /healthz logged with an account: %q", line)
	}
}
