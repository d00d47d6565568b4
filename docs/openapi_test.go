package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"wxbind/docs"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// loadSpec parses and validates docs/openapi.yaml, with the test server as its only server so
// that the router matches the test's requests.
func loadSpec(t *testing.T, serverURL string) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(docs.OpenAPI()))
	if err != nil {
		t.Fatalf("docs/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("want OpenAPI 3.1.0, got %s", doc.OpenAPI)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	loadSpec(t, "http://localhost:8080")
}

// exchange is one real request and response, checked against the spec.
type exchange struct {
	name        string
	method      string
	path        string
	body        any    // JSON unless a string or []byte
	contentType string // default application/json when there is a body
	token       string
	wantStatus  int
	wantReason  string
	// invalidRequest marks a request the spec itself forbids (to provoke an error answer):
	// only the response is checked, and the request must fail the spec's own validation.
	invalidRequest bool
}

// checker sends exchanges and records which operation answered with which status.
type checker struct {
	t      *testing.T
	app    *webtest.App
	router routers.Router
	seen   map[string]map[int]bool // operationId → statuses validated
}

func newChecker(t *testing.T, app *webtest.App, seen map[string]map[int]bool) *checker {
	_, router := loadSpec(t, app.URL)
	return &checker{t: t, app: app, router: router, seen: seen}
}

var secretKey = regexp.MustCompile(`(?i)"(session_?key|access_?token|password(_?hash)?|secret)"`)

// do sends x and validates the request (unless invalid on purpose) and the response against
// the spec. It returns the decoded body, or nil when the route does not exist yet (404).
func (c *checker) do(x exchange) map[string]any {
	t := c.t
	t.Helper()
	var body []byte
	switch b := x.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(x.method, c.app.URL+x.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		ct := x.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if x.token != "" {
		req.Header.Set("Authorization", "Bearer "+x.token)
	}

	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: %s %s is not in docs/openapi.yaml: %v", x.name, x.method, x.path, err)
	}
	reqInput := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: tokenPresent},
	}
	// Validation reads the body, so it validates a copy.
	checkReq := req.Clone(context.Background())
	checkReq.Body = io.NopCloser(bytes.NewReader(body))
	reqInput.Request = checkReq
	reqErr := openapi3filter.ValidateRequest(context.Background(), reqInput)
	switch {
	case x.invalidRequest && reqErr == nil:
		t.Errorf("%s: the spec accepts this request, but the case means to send one it forbids", x.name)
	case !x.invalidRequest && reqErr != nil:
		t.Errorf("%s: the request the client sends does not match the spec: %v", x.name, reqErr)
	}

	resp, err := c.app.Client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", x.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	_ = json.Unmarshal(raw, &decoded)
	if resp.StatusCode != x.wantStatus {
		t.Fatalf("%s: want HTTP %d, got %d %s", x.name, x.wantStatus, resp.StatusCode, raw)
	}
	if x.wantReason != "" && decoded["reason"] != x.wantReason {
		t.Fatalf("%s: want reason %q, got %s", x.name, x.wantReason, raw)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id header", x.name)
	}
	if m := secretKey.FindString(string(raw)); m != "" {
		t.Errorf("%s: the response holds a secret-looking field %s: %s", x.name, m, raw)
	}

	respInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	respInput.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), respInput); err != nil {
		t.Errorf("%s: %s %s answered %d %s\nwhich docs/openapi.yaml does not describe: %v", x.name, x.method, x.path, resp.StatusCode, raw, err)
	}
	op := route.Operation.OperationID
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][resp.StatusCode] = true
	return decoded
}

// tokenPresent passes a security scheme when the request carries a token where the scheme says.
func tokenPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	var found bool
	switch in.SecuritySchemeName {
	case "bearer":
		found = strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
	case "tokenHeader":
		found = r.Header.Get("token") != ""
	case "tokenQuery":
		found = r.URL.Query().Get("token") != ""
	}
	if !found {
		return fmt.Errorf("no token for scheme %s", in.SecuritySchemeName)
	}
	return nil
}

// TestOpenAPIDescribesEveryMobileRoute fails when a /mobileApi route exists that the
// document does not describe. Gin reports each route it registers through its debug hook.
func TestOpenAPIDescribesEveryMobileRoute(t *testing.T) {
	type route struct{ method, path string }
	var routes []route
	gin.SetMode(gin.DebugMode)
	gin.DebugPrintRouteFunc = func(method, path, _ string, _ int) {
		routes = append(routes, route{method, path})
	}
	t.Cleanup(func() { gin.DebugPrintRouteFunc = nil })

	app := webtest.Start(t, webtest.Options{Sandbox: true})
	doc, _ := loadSpec(t, app.URL)
	var n int
	for _, r := range routes {
		if !strings.HasPrefix(r.path, "/mobileApi/") {
			continue
		}
		n++
		item := doc.Paths.Find(r.path)
		if item == nil || item.GetOperation(r.method) == nil {
			t.Errorf("%s %s is served but not described in docs/openapi.yaml", r.method, r.path)
		}
	}
	if n < 6 {
		t.Fatalf("saw only %d mobile routes registered; the route listing is broken", n)
	}
}

// TestOpenAPIMatchesRealResponses sends every mobile endpoint real requests, good and bad, and
// checks each answer against docs/openapi.yaml, on both databases.
func TestOpenAPIMatchesRealResponses(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		seen := map[string]map[int]bool{}
		loginAPI(t, driver, seen)
		userDataAPI(t, driver, seen)
		consoleLoginAPI(t, driver, seen)
		outage(t, driver, seen)
		checkCoverage(t, seen)
	})
}

// loginAPI drives checkBind, bind, info, profile, logout and unbind against the fake WeChat,
// which can answer with any errcode.
func loginAPI(t *testing.T, driver string, seen map[string]map[int]bool) {
	app := webtest.Start(t, webtest.Options{Driver: driver})
	c := newChecker(t, app, seen)
	app.CreateAccount(t, "alice", "correct-horse", "user")
	app.CreateAccount(t, "carol", "battery-staple", "user")
	checkBind := func(code string) string { return "/mobileApi/user/checkBind?code=" + code }

	c.do(exchange{name: "checkBind without code", method: "GET", path: "/mobileApi/user/checkBind", wantStatus: 400, wantReason: "invalid_code", invalidRequest: true})
	c.do(exchange{name: "checkBind with a code WeChat rejects", method: "GET", path: checkBind("err:40029"), wantStatus: 502, wantReason: "wechat_code_invalid"})
	c.do(exchange{name: "checkBind when WeChat is busy", method: "GET", path: checkBind("err:-1"), wantStatus: 502, wantReason: "wechat_busy"})
	c.do(exchange{name: "checkBind over the appid's rate limit", method: "GET", path: checkBind("err:45011"), wantStatus: 429, wantReason: "wechat_rate_limited"})
	c.do(exchange{name: "checkBind for a risky user", method: "GET", path: checkBind("err:40226"), wantStatus: 502, wantReason: "wechat_risky_user"})

	first := c.do(exchange{name: "checkBind not bound", method: "GET", path: checkBind(wechattest.Code("alice-phone")), wantStatus: 200})
	if first["code"] != 301.0 {
		t.Fatalf("first checkBind: want code 301, got %v", first)
	}
	ticket, openID := first["bindTicket"].(string), first["openId"].(string)
	bindBody := func(username, password string) map[string]any {
		return map[string]any{"bindTicket": ticket, "openId": openID, "username": username, "password": password}
	}
	c.do(exchange{name: "bind with a body that is not JSON", method: "POST", path: "/mobileApi/user/bind", body: "{not json", wantStatus: 400, wantReason: "invalid_body", invalidRequest: true})
	c.do(exchange{name: "bind as a form", method: "POST", path: "/mobileApi/user/bind", body: "username=alice", contentType: "application/x-www-form-urlencoded", wantStatus: 415, wantReason: "invalid_body", invalidRequest: true})
	c.do(exchange{name: "bind with a huge body", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"username": "alice", "password": strings.Repeat("x", 100<<10)}, wantStatus: 413, wantReason: "body_too_large"})
	c.do(exchange{name: "bind without a password", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"bindTicket": ticket, "username": "alice"}, wantStatus: 400, wantReason: "invalid_username", invalidRequest: true})
	c.do(exchange{name: "bind with a wrong password", method: "POST", path: "/mobileApi/user/bind", body: bindBody("alice", "wrong-password"), wantStatus: 401, wantReason: "wrong_password"})
	c.do(exchange{name: "bind with a forged ticket", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"bindTicket": "forged", "username": "alice", "password": "correct-horse"}, wantStatus: 400, wantReason: "ticket_invalid"})
	c.do(exchange{name: "bind with a code WeChat rejects", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": "err:40163", "username": "alice", "password": "correct-horse"}, wantStatus: 502, wantReason: "wechat_code_invalid"})
	bound := c.do(exchange{name: "bind", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{
		"bindTicket": ticket, "openId": openID, "username": "alice", "password": "correct-horse", "nickName": "Ali 🐱 <b>ce</b>",
	}, wantStatus: 200})
	if bound["code"] != 1.0 {
		t.Fatalf("bind: want code 1, got %v", bound)
	}
	c.do(exchange{name: "bind with a spent ticket", method: "POST", path: "/mobileApi/user/bind", body: bindBody("alice", "correct-horse"), wantStatus: 400, wantReason: "ticket_used"})

	other := c.do(exchange{name: "checkBind for a second WeChat user", method: "GET", path: checkBind(wechattest.Code("mallory-phone")), wantStatus: 200})
	c.do(exchange{name: "bind a second WeChat user to a bound account", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{
		"bindTicket": other["bindTicket"], "username": "alice", "password": "correct-horse",
	}, wantStatus: 409, wantReason: "account_already_bound"})

	// carol binds, then an admin disables her account.
	carol := app.BindNew(t, "carol-phone", "carol", "battery-staple")
	if err := app.DB.Gorm.Model(&models.Account{}).Where("username = ?", "carol").Update("status", models.StatusDisabled).Error; err != nil {
		t.Fatal(err)
	}
	c.do(exchange{name: "bind to a disabled account", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": wechattest.Code("carol-tablet"), "username": "carol", "password": "battery-staple"}, wantStatus: 403, wantReason: "account_disabled"})
	c.do(exchange{name: "bind over the appid's rate limit", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": "err:45011", "username": "carol", "password": "battery-staple"}, wantStatus: 429, wantReason: "wechat_rate_limited"})
	c.do(exchange{name: "checkBind for a disabled account", method: "GET", path: checkBind(wechattest.Code("carol-phone")), wantStatus: 403, wantReason: "account_disabled"})
	c.do(exchange{name: "info with a disabled account's token", method: "GET", path: "/mobileApi/user/info", token: carol, wantStatus: 401})

	// Five wrong passwords for one username lock it for a while, with Retry-After.
	app.CreateAccount(t, "frank", "correct-horse", "user")
	for i := range 5 {
		c.do(exchange{name: fmt.Sprintf("bind with wrong password #%d", i+1), method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": wechattest.Code("frank-phone"), "username": "frank", "password": "guess-" + fmt.Sprint(i)}, wantStatus: 401, wantReason: "wrong_password"})
	}
	locked := c.app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"code": wechattest.Code("frank-phone"), "username": "frank", "password": "correct-horse"})
	if locked.Status != 429 || locked.Header.Get("Retry-After") == "" {
		t.Fatalf("bind after five wrong passwords: want 429 with Retry-After, got %d %v %s", locked.Status, locked.Header, locked.Raw)
	}
	c.do(exchange{name: "bind while locked out", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": wechattest.Code("frank-phone"), "username": "frank", "password": "correct-horse"}, wantStatus: 429, wantReason: "too_many_attempts"})

	again := c.do(exchange{name: "checkBind bound", method: "GET", path: checkBind(wechattest.Code("alice-phone")), wantStatus: 200})
	token, _ := again["token"].(string)
	if again["code"] != 1.0 || token == "" {
		t.Fatalf("checkBind after bind: want code 1 and a token, got %v", again)
	}

	c.do(exchange{name: "info without a token", method: "GET", path: "/mobileApi/user/info", wantStatus: 401, wantReason: "token_missing", invalidRequest: true})
	c.do(exchange{name: "info with a made-up token", method: "GET", path: "/mobileApi/user/info", token: "made-up", wantStatus: 401, wantReason: "unauthenticated"})
	c.do(exchange{name: "info", method: "GET", path: "/mobileApi/user/info", token: token, wantStatus: 200})

	c.do(exchange{name: "profile", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{"nickName": "Alice 🌸", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/a/132"}, wantStatus: 200})
	c.do(exchange{name: "profile with nothing to change", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{}, wantStatus: 400, wantReason: "invalid_nickName"})
	c.do(exchange{name: "profile with a too long nickname", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{"nickName": strings.Repeat("长", 65)}, wantStatus: 400, wantReason: "invalid_nickName", invalidRequest: true})
	c.do(exchange{name: "profile with a javascript: avatar", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{"avatarUrl": "javascript:alert(1)"}, wantStatus: 400, wantReason: "invalid_avatarUrl"})
	c.do(exchange{name: "profile as text", method: "POST", path: "/mobileApi/user/profile", token: token, body: "nickName=x", contentType: "text/plain", wantStatus: 415, invalidRequest: true})
	c.do(exchange{name: "profile with a huge body", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{"avatarUrl": strings.Repeat("x", 100<<10)}, wantStatus: 413, invalidRequest: true})
	c.do(exchange{name: "profile without a token", method: "POST", path: "/mobileApi/user/profile", body: map[string]any{"nickName": "x"}, wantStatus: 401, invalidRequest: true})

	c.do(exchange{name: "logout", method: "POST", path: "/mobileApi/user/logout", token: token, wantStatus: 200})
	c.do(exchange{name: "logout again", method: "POST", path: "/mobileApi/user/logout", token: token, wantStatus: 401, wantReason: "unauthenticated"})

	relogin := c.do(exchange{name: "checkBind after logout", method: "GET", path: checkBind(wechattest.Code("alice-phone")), wantStatus: 200})
	token, _ = relogin["token"].(string)
	c.do(exchange{name: "unbind without a token", method: "POST", path: "/mobileApi/user/unbind", wantStatus: 401, invalidRequest: true})
	c.do(exchange{name: "unbind", method: "POST", path: "/mobileApi/user/unbind", token: token, wantStatus: 200})
	c.do(exchange{name: "unbind with the token it ended", method: "POST", path: "/mobileApi/user/unbind", token: token, wantStatus: 401})
	after := c.do(exchange{name: "checkBind after unbind", method: "GET", path: checkBind(wechattest.Code("alice-phone")), wantStatus: 200})
	if after["code"] != 301.0 {
		t.Fatalf("checkBind after unbind: want 301 again, got %v", after)
	}
}

// userDataAPI drives the WeChat user data endpoints on the sandbox, which answers phone codes
// like "sandbox:13800138000". Each endpoint skips while the server does not have it yet.
func userDataAPI(t *testing.T, driver string, seen map[string]map[int]bool) {
	app := webtest.Start(t, webtest.Options{Driver: driver, Sandbox: true})
	c := newChecker(t, app, seen)
	app.CreateAccount(t, "dave", "correct-horse", "user")
	r := app.CheckBind(t, "sandbox:dave-phone")
	bound := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "username": "dave", "password": "correct-horse"})
	token := bound.String("token")
	if token == "" {
		t.Fatalf("bind on the sandbox: %s", bound.Raw)
	}

	t.Run("phone", func(t *testing.T) {
		c := *c
		c.t = t
		c.do(exchange{name: "phone without a token", method: "POST", path: "/mobileApi/user/phone", body: map[string]any{"code": "sandbox:13800138000"}, wantStatus: 401, invalidRequest: true})
		got := c.do(exchange{name: "phone", method: "POST", path: "/mobileApi/user/phone", token: token, body: map[string]any{"code": "sandbox:13800138000"}, wantStatus: 200})
		if got["phone"] != "13800138000" {
			t.Errorf("phone: want 13800138000 from the sandbox code, got %v", got)
		}
		c.do(exchange{name: "phone without a code", method: "POST", path: "/mobileApi/user/phone", token: token, body: map[string]any{}, wantStatus: 400})
		c.do(exchange{name: "phone with a body that is not JSON", method: "POST", path: "/mobileApi/user/phone", token: token, body: "{", wantStatus: 400, invalidRequest: true})
	})

	t.Run("profile from legacy encryptedData", func(t *testing.T) {
		c := *c
		c.t = t
		c.do(exchange{name: "profile with encryptedData that does not decrypt", method: "POST", path: "/mobileApi/user/profile", token: token, body: map[string]any{"encryptedData": "bm90IHJlYWxseQ==", "iv": "AAAAAAAAAAAAAAAAAAAAAA=="}, wantStatus: 400, wantReason: "decrypt_failed"})
	})

	t.Run("checkSession", func(t *testing.T) {
		c := *c
		c.t = t
		c.do(exchange{name: "checkSession without a token", method: "GET", path: "/mobileApi/user/checkSession", wantStatus: 401, invalidRequest: true})
		got := c.do(exchange{name: "checkSession", method: "GET", path: "/mobileApi/user/checkSession", token: token, wantStatus: 200})
		if _, ok := got["valid"].(bool); !ok {
			t.Errorf("checkSession: want a boolean valid, got %v", got)
		}
	})

	t.Run("avatar", func(t *testing.T) {
		c := *c
		c.t = t
		pngBody, pngType := multipartFile(t, "avatar.png", pngImage(t))
		c.do(exchange{name: "avatar without a token", method: "POST", path: "/mobileApi/user/avatar", body: pngBody, contentType: pngType, wantStatus: 401, invalidRequest: true})
		got := c.do(exchange{name: "avatar", method: "POST", path: "/mobileApi/user/avatar", token: token, body: pngBody, contentType: pngType, wantStatus: 200})
		if u, _ := got["avatarUrl"].(string); !strings.Contains(u, "/avatars/") {
			t.Errorf("avatar: want an avatarUrl under /avatars/, got %v", got)
		}
		textBody, textType := multipartFile(t, "avatar.png", []byte("this is not an image at all"))
		status := c.app.Do(t, http.MethodPost, "/mobileApi/user/avatar", textBody, "Content-Type", textType, "Authorization", "Bearer "+token).Status
		if status != 400 && status != 415 {
			t.Fatalf("avatar with a text file named .png: want 400 or 415, got %d", status)
		}
		c.do(exchange{name: "avatar that is not an image", method: "POST", path: "/mobileApi/user/avatar", token: token, body: textBody, contentType: textType, wantStatus: status})
	})
}

// consoleLoginAPI drives scan login's three phone calls against requests a console browser
// opened, through every refusal the spec names.
func consoleLoginAPI(t *testing.T, driver string, seen map[string]map[int]bool) {
	app := webtest.Start(t, webtest.Options{Driver: driver})
	c := newChecker(t, app, seen)
	app.CreateAccount(t, "stella", "correct-horse", "staff")
	app.CreateAccount(t, "uma", "correct-horse", "user")
	app.CreateAccount(t, "sam", "correct-horse", "staff")
	staff := app.BindNew(t, "stella-phone", "stella", "correct-horse")
	user := app.BindNew(t, "uma-phone", "uma", "correct-horse")
	other := app.BindNew(t, "sam-phone", "sam", "correct-horse")
	scene := func() string {
		r := app.Do(t, http.MethodGet, "/admin/login/scan", nil, "User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
		for _, ck := range r.Header.Values("Set-Cookie") {
			if name, _, ok := strings.Cut(ck, "="); ok && strings.HasPrefix(name, "wxbind_scan_") {
				return strings.TrimPrefix(name, "wxbind_scan_")
			}
		}
		t.Fatalf("the scan tab opened no request: %d %s", r.Status, r.Raw)
		return ""
	}
	body := func(s string) map[string]any { return map[string]any{"scene": s} }
	const scan, confirm, cancel = "/mobileApi/consoleLogin/scan", "/mobileApi/consoleLogin/confirm", "/mobileApi/consoleLogin/cancel"

	s1 := scene()
	c.do(exchange{name: "scan without a token", method: "POST", path: scan, body: body(s1), wantStatus: 401, invalidRequest: true})
	c.do(exchange{name: "scan without a scene", method: "POST", path: scan, token: staff, body: map[string]any{}, wantStatus: 400, wantReason: "invalid_scene", invalidRequest: true})
	c.do(exchange{name: "scan as text", method: "POST", path: scan, token: staff, body: "scene=x", contentType: "text/plain", wantStatus: 415, invalidRequest: true})
	c.do(exchange{name: "scan with a huge body", method: "POST", path: scan, token: staff, body: map[string]any{"scene": strings.Repeat("x", 100<<10)}, wantStatus: 413, invalidRequest: true})
	c.do(exchange{name: "scan an unknown scene", method: "POST", path: scan, token: staff, body: body("NOSUCHSCENE"), wantStatus: 404, wantReason: "scan_login_not_found"})
	c.do(exchange{name: "scan as a user account", method: "POST", path: scan, token: user, body: body(s1), wantStatus: 403, wantReason: "no_console_access"})
	c.do(exchange{name: "confirm before scan", method: "POST", path: confirm, token: staff, body: body(s1), wantStatus: 409, wantReason: "scan_login_not_scanned"})
	got := c.do(exchange{name: "scan", method: "POST", path: scan, token: staff, body: body(s1), wantStatus: 200})
	if got["browser"] != "Chrome" || got["os"] != "Windows" || got["ip"] != "127.0.0.1" {
		t.Fatalf("scan: want Chrome · Windows from 127.0.0.1, got %v", got)
	}
	c.do(exchange{name: "scan from a second phone", method: "POST", path: scan, token: other, body: body(s1), wantStatus: 409, wantReason: "scan_login_taken"})
	c.do(exchange{name: "cancel from a second phone", method: "POST", path: cancel, token: other, body: body(s1), wantStatus: 409, wantReason: "scan_login_taken"})
	c.do(exchange{name: "confirm as a user account", method: "POST", path: confirm, token: user, body: body(s1), wantStatus: 403, wantReason: "no_console_access"})
	c.do(exchange{name: "confirm", method: "POST", path: confirm, token: staff, body: body(s1), wantStatus: 200})
	c.do(exchange{name: "confirm twice", method: "POST", path: confirm, token: staff, body: body(s1), wantStatus: 409, wantReason: "scan_login_used"})
	c.do(exchange{name: "cancel after confirming", method: "POST", path: cancel, token: staff, body: body(s1), wantStatus: 409, wantReason: "scan_login_used"})
	c.do(exchange{name: "confirm an unknown scene", method: "POST", path: confirm, token: staff, body: body("NOSUCHSCENE"), wantStatus: 404, wantReason: "scan_login_not_found"})
	c.do(exchange{name: "cancel an unknown scene", method: "POST", path: cancel, token: staff, body: body("NOSUCHSCENE"), wantStatus: 404, wantReason: "scan_login_not_found"})

	s2 := scene()
	c.do(exchange{name: "scan a second request", method: "POST", path: scan, token: staff, body: body(s2), wantStatus: 200})
	c.do(exchange{name: "cancel", method: "POST", path: cancel, token: staff, body: body(s2), wantStatus: 200})
	c.do(exchange{name: "scan a cancelled request", method: "POST", path: scan, token: staff, body: body(s2), wantStatus: 409, wantReason: "scan_login_used"})

	s3 := scene()
	if err := app.DB.Gorm.Exec("UPDATE scan_logins SET expires_at = ? WHERE scene = ?", time.Now().Add(-time.Second).UTC(), s3).Error; err != nil {
		t.Fatal(err)
	}
	c.do(exchange{name: "scan an expired request", method: "POST", path: scan, token: staff, body: body(s3), wantStatus: 410, wantReason: "scan_login_expired"})
	c.do(exchange{name: "confirm an expired request", method: "POST", path: confirm, token: staff, body: body(s3), wantStatus: 410, wantReason: "scan_login_expired"})
	c.do(exchange{name: "cancel an expired request", method: "POST", path: cancel, token: staff, body: body(s3), wantStatus: 410, wantReason: "scan_login_expired"})
}

// outage closes the database under a running server: every endpoint must answer the
// documented 503, never hang or crash.
func outage(t *testing.T, driver string, seen map[string]map[int]bool) {
	app := webtest.Start(t, webtest.Options{Driver: driver})
	c := newChecker(t, app, seen)
	app.CreateAccount(t, "erin", "correct-horse", "user")
	token := app.BindNew(t, "erin-phone", "erin", "correct-horse")
	sqlDB, err := app.DB.Gorm.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	deadline := time.Now().Add(20 * time.Second)
	c.do(exchange{name: "checkBind without a database", method: "GET", path: "/mobileApi/user/checkBind?code=" + wechattest.Code("erin-phone"), wantStatus: 503, wantReason: "server_error"})
	c.do(exchange{name: "bind without a database", method: "POST", path: "/mobileApi/user/bind", body: map[string]any{"code": wechattest.Code("erin-phone"), "username": "erin", "password": "correct-horse"}, wantStatus: 503, wantReason: "server_error"})
	for _, p := range []string{"info", "profile", "logout", "unbind"} {
		method, body := http.MethodPost, any(map[string]any{"nickName": "x"})
		if p == "info" {
			method, body = http.MethodGet, nil
		}
		c.do(exchange{name: p + " without a database", method: method, path: "/mobileApi/user/" + p, token: token, body: body, wantStatus: 503, wantReason: "server_error"})
	}
	if time.Now().After(deadline) {
		t.Errorf("answers without a database took over 20s")
	}
}

// checkCoverage demands that every documented operation was seen answering both a success and
// an error, except the ones not built yet, and lists the documented statuses never produced.
func checkCoverage(t *testing.T, seen map[string]map[int]bool) {
	doc, _ := loadSpec(t, "http://localhost:8080")
	var notProduced []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			statuses, ok := seen[op.OperationID]
			if !ok {
				t.Errorf("%s %s (%s) was never called", method, path, op.OperationID)
				continue
			}
			var ok2xx, okErr bool
			for s := range statuses {
				ok2xx = ok2xx || s < 300
				okErr = okErr || s >= 400
			}
			if !ok2xx || !okErr {
				t.Errorf("%s: want both a success and an error checked, got statuses %v", op.OperationID, statuses)
			}
			for code := range op.Responses.Map() {
				var n int
				fmt.Sscan(code, &n)
				if !statuses[n] {
					notProduced = append(notProduced, op.OperationID+" "+code)
				}
			}
		}
	}
	sort.Strings(notProduced)
	t.Logf("documented statuses no case produces (races, timeouts, WeChat failures): %s", strings.Join(notProduced, ", "))
}

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := range 64 {
		for y := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func multipartFile(t *testing.T, name string, content []byte) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	f, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}
