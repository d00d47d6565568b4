package web_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestNoSecretInAnyLogLine runs a whole flow — first login, bind with a wrong then a right
// password, phone number, session check, console login, password reset, logout, unbind — and
// scans every line the server logged for each secret that passed through it.
func TestNoSecretInAnyLogLine(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	user := app.CreateAccount(t, "wendy", "wendy-password", "user")
	app.CreateAccount(t, "boss", "boss-password", "admin")
	secrets := map[string]string{
		"user password": "wendy-password", "admin password": "boss-password", "WeChat secret": app.WeChat.Secret,
		"SECRET_KEY": webtest.SecretKey, "session_key": wechattest.SessionKey("wendy-phone"),
	}

	code := wechattest.Code("wendy-phone")
	secrets["login code"] = code
	first := app.CheckBind(t, code)
	secrets["bind ticket"] = first.String("bindTicket")
	app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": first.String("bindTicket"), "username": "wendy", "password": "wrong-password"})
	secrets["wrong password"] = "wrong-password"
	bind := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": first.String("bindTicket"), "username": "wendy", "password": "wendy-password"})
	token := bind.String("token")
	if token == "" {
		t.Fatalf("bind: %s", bind.Raw)
	}
	secrets["token"] = token
	phoneCode := wechattest.PhoneCode("wendy-phone", "13800138000")
	secrets["phone code"] = phoneCode
	if r := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", token, map[string]any{"code": phoneCode}); r.Code() != 1 {
		t.Fatalf("phone: %s", r.Raw)
	}
	app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession?token="+token, token, nil)
	for i, at := range app.WeChat.AccessTokens() {
		secrets[fmt.Sprintf("access_token %d", i)] = at
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := func(path string, v url.Values) *http.Response {
		resp, err := browser.PostForm(app.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	form("/admin/login", url.Values{"username": {"boss"}, "password": {"boss-password"}})
	u, _ := url.Parse(app.URL + "/admin/")
	for _, c := range jar.Cookies(u) {
		secrets["console cookie"] = c.Value
	}
	if secrets["console cookie"] == "" {
		t.Fatal("console login set no cookie")
	}
	if resp := form(fmt.Sprintf("/admin/users/%d/password", user.ID), url.Values{"password": {"wendy-new-password"}}); resp.StatusCode >= 400 {
		t.Fatalf("password reset: %d", resp.StatusCode)
	}
	secrets["new password"] = "wendy-new-password"
	app.Authed(t, http.MethodPost, "/mobileApi/user/logout", token, nil)
	form("/admin/logout", nil)

	logs := app.Logs.String()
	if !strings.Contains(logs, "route=/admin/login") || !strings.Contains(logs, "route=/mobileApi/user/phone") {
		t.Fatalf("the flow did not reach the log:\n%s", logs)
	}
	for what, secret := range secrets {
		if secret == "" {
			t.Errorf("%s: empty, the test lost it", what)
			continue
		}
		if strings.Contains(logs, secret) {
			t.Errorf("a log line holds the %s", what)
		}
	}
}
