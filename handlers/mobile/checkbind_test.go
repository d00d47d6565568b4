package mobile_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// scenario is one request and what must come back (PocketBase's ApiScenario, trimmed).
type scenario struct {
	name       string
	method     string
	path       string
	body       any
	headers    []string
	wantStatus int
	wantCode   int
	wantReason string
	wantInBody []string // substrings of the raw body
}

func (s scenario) run(t *testing.T, app *webtest.App) webtest.Response {
	t.Helper()
	method := s.method
	if method == "" {
		method = http.MethodGet
	}
	r := app.Do(t, method, s.path, s.body, s.headers...)
	if r.Status != s.wantStatus || r.Code() != s.wantCode {
		t.Fatalf("%s %s: want HTTP %d code %d, got HTTP %d body %s", method, s.path, s.wantStatus, s.wantCode, r.Status, r.Raw)
	}
	if s.wantReason != "" && r.String("reason") != s.wantReason {
		t.Fatalf("%s %s: want reason %q, got %s", method, s.path, s.wantReason, r.Raw)
	}
	if s.wantCode == 0 && strings.TrimSpace(r.String("msg")) == "" {
		t.Fatalf("%s %s: a failure must carry a msg for the toast: %s", method, s.path, r.Raw)
	}
	for _, sub := range s.wantInBody {
		if !strings.Contains(string(r.Raw), sub) {
			t.Fatalf("%s %s: body lacks %q: %s", method, s.path, sub, r.Raw)
		}
	}
	return r
}

func TestCheckBindFailures(t *testing.T) {
	scenarios := []scenario{
		{name: "missing code", path: "/mobileApi/user/checkBind", wantStatus: 400, wantReason: "invalid_code"},
		{name: "empty code", path: "/mobileApi/user/checkBind?code=", wantStatus: 400, wantReason: "invalid_code"},
		{name: "oversized code", path: "/mobileApi/user/checkBind?code=" + strings.Repeat("x", 200), wantStatus: 400, wantReason: "invalid_code"},
		{name: "invalid code 40029", path: "/mobileApi/user/checkBind?code=err:40029", wantStatus: 502, wantReason: "wechat_code_invalid"},
		{name: "unknown code", path: "/mobileApi/user/checkBind?code=whatever", wantStatus: 502, wantReason: "wechat_code_invalid"},
		{name: "used code 40163", path: "/mobileApi/user/checkBind?code=err:40163", wantStatus: 502, wantReason: "wechat_code_invalid"},
		{name: "rate limit 45011", path: "/mobileApi/user/checkBind?code=err:45011", wantStatus: 429, wantReason: "wechat_rate_limited"},
		{name: "high-risk user 40226", path: "/mobileApi/user/checkBind?code=err:40226", wantStatus: 502, wantReason: "wechat_risky_user"},
		{name: "system busy -1", path: "/mobileApi/user/checkBind?code=err:-1", wantStatus: 502, wantReason: "wechat_busy"},
		{name: "bad appid 40013", path: "/mobileApi/user/checkBind?code=err:40013", wantStatus: 502, wantReason: "wechat_misconfigured"},
		{name: "bad secret 40125", path: "/mobileApi/user/checkBind?code=err:40125", wantStatus: 502, wantReason: "wechat_misconfigured"},
		{name: "unknown errcode", path: "/mobileApi/user/checkBind?code=err:99999", wantStatus: 502, wantReason: "wechat_refused"},
		{name: "garbage reply", path: "/mobileApi/user/checkBind?code=garbage", wantStatus: 502, wantReason: "wechat_busy"},
		{name: "HTTP 500 reply", path: "/mobileApi/user/checkBind?code=http500", wantStatus: 502, wantReason: "wechat_busy"},
		{name: "reply without openid", path: "/mobileApi/user/checkBind?code=noopenid", wantStatus: 502, wantReason: "wechat_busy"},
		{name: "wrong method", method: http.MethodPost, path: "/mobileApi/user/checkBind?code=x", wantStatus: 405, wantReason: "method_not_allowed"},
		{name: "unknown API", path: "/mobileApi/user/nope", wantStatus: 404, wantReason: "not_found"},
	}
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) { s.run(t, app) })
		}
		var n int64
		if err := app.DB.Gorm.Model(&models.WechatIdentity{}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("failed checkBinds must record no identity: %d rows, %v", n, err)
		}
	})
}

// TestCheckBindWeChatStall proves a WeChat that never answers costs the client a bounded wait
// and a clear 502, not a hang.
func TestCheckBindWeChatStall(t *testing.T) {
	app := webtest.Start(t, webtest.Options{WeChatTimeout: 300 * time.Millisecond})
	start := time.Now()
	scenario{path: "/mobileApi/user/checkBind?code=slow", wantStatus: 502, wantReason: "wechat_busy"}.run(t, app)
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("a stalled WeChat held the request %v", waited)
	}
	if !strings.Contains(app.Logs.String(), "timed out") {
		t.Fatalf("the log should say WeChat timed out:\n%s", app.Logs.String())
	}
}

// TestCheckBindWrongCredentials runs a client whose secret WeChat refuses.
func TestCheckBindWrongCredentials(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.WeChat.Secret = "rotated-on-the-wechat-side"
	r := scenario{path: "/mobileApi/user/checkBind?code=" + wechattest.Code("x"), wantStatus: 502, wantReason: "wechat_misconfigured"}.run(t, app)
	if strings.Contains(string(r.Raw), "40125") {
		t.Fatalf("the client needs words, not WeChat's errcode: %s", r.Raw)
	}
}

// TestCheckBindRecordsIdentity checks that every checkBind stores the identity, bound or not,
// with the session_key sealed and never answered.
func TestCheckBindRecordsIdentity(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		for range 2 {
			r := app.CheckBind(t, wechattest.Code("bob"))
			if r.Code() != 301 {
				t.Fatalf("want 301, got %s", r.Raw)
			}
			if strings.Contains(string(r.Raw), wechattest.SessionKey("bob")) || strings.Contains(string(r.Raw), "session") {
				t.Fatalf("the session_key must never be answered: %s", r.Raw)
			}
		}
		var rows []models.WechatIdentity
		if err := app.DB.Gorm.Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("two checkBinds of one WeChat user must leave one identity, got %d", len(rows))
		}
		w := rows[0]
		if w.OpenID != wechattest.OpenID("bob") || w.UnionID != wechattest.UnionID("bob") || w.AppID != app.WeChat.AppID || w.AccountID != nil {
			t.Fatalf("identity not recorded as WeChat said: %+v", w)
		}
		if w.SessionKeySealed == "" || strings.Contains(w.SessionKeySealed, wechattest.SessionKey("bob")) {
			t.Fatalf("session_key must be stored sealed, got %q", w.SessionKeySealed)
		}
		// That the sealed key opens to WeChat's is proven where it is used: the checkSession and
		// encrypted-data tests, whose fake WeChat checks the key it is sent.
		if w.LastSeenAt.IsZero() {
			t.Fatal("last seen time not recorded")
		}
	})
}

// TestConcurrentCheckBindsOfBoundUsers: many bound users log in at once, several times each, so
// their writes share batches (one openid more than once in a batch): every login is answered
// with a token of its own user that works at once, and each identity keeps one row.
func TestConcurrentCheckBindsOfBoundUsers(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		const users, each = 6, 8
		for i := range users {
			name := fmt.Sprintf("crowd%d", i)
			app.CreateAccount(t, name, name+"-password", "user")
			app.BindNew(t, name+"-phone", name, name+"-password")
		}
		var wg sync.WaitGroup
		answers := make([]webtest.Response, users*each)
		for n := range answers {
			wg.Go(func() { answers[n] = app.CheckBind(t, wechattest.Code(fmt.Sprintf("crowd%d-phone", n%users))) })
		}
		wg.Wait()
		seen := map[string]bool{}
		for n, r := range answers {
			want := fmt.Sprintf("crowd%d", n%users)
			u, _ := r.Body["userInfo"].(map[string]any)
			if r.Code() != 1 || u["username"] != want || r.String("token") == "" || seen[r.String("token")] {
				t.Fatalf("login %d of %s: %s", n, want, r.Raw)
			}
			seen[r.String("token")] = true
			info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", r.String("token"), nil)
			if u, _ := info.Body["userInfo"].(map[string]any); info.Code() != 1 || u["username"] != want {
				t.Fatalf("info with login %d of %s: %s", n, want, info.Raw)
			}
		}
		var rows int64
		app.DB.Gorm.Model(&models.WechatIdentity{}).Count(&rows)
		if rows != users {
			t.Fatalf("want %d identity rows, got %d", users, rows)
		}
	})
}
