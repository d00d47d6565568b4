package mobile_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// FuzzRequestBinding throws arbitrary bodies at bind and profile, and arbitrary codes at
// checkBind: every answer is a JSON body with a known code and, for failures, a msg — never a
// 5xx, never a panic.
func FuzzRequestBinding(f *testing.F) {
	app := webtest.Start(f, webtest.Options{})
	app.CreateAccount(f, "fuzzy", "fuzzy-password", "user")
	token := app.BindNew(f, "fuzzy-phone", "fuzzy", "fuzzy-password")
	ticket := app.CheckBind(f, wechattest.Code("fuzzy-other")).String("bindTicket")
	h := app.Server.Config.Handler

	f.Add([]byte(`{"bindTicket":"`+ticket+`","username":"fuzzy","password":"nope"}`), "sandbox:x")
	f.Add([]byte(`{"nickName":"😀😀","avatarUrl":"https://a/b"}`), "err:45011")
	f.Add([]byte(`{"nickName":null,"avatarUrl":12}`), "")
	f.Add([]byte(`[1,2,3]`), "garbage")
	f.Add([]byte(`{"username":{"$gt":""},"password":["x"]}`), "ok:fuzz-seed")
	f.Add([]byte("\xff\xfe{"), "%00")
	f.Add(bytes.Repeat([]byte(`{"a":`), 2000), "err:-1")
	f.Fuzz(func(t *testing.T, body []byte, code string) {
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodPost, "/mobileApi/user/bind", bytes.NewReader(body)),
			httptest.NewRequest(http.MethodPost, "/mobileApi/user/profile", bytes.NewReader(body)),
			httptest.NewRequest(http.MethodGet, "/mobileApi/user/checkBind?code="+url.QueryEscape(code), nil),
		} {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("token", token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 && rec.Code != http.StatusBadGateway {
				t.Fatalf("%s: HTTP %d for %q: %s", req.URL.Path, rec.Code, body, rec.Body)
			}
			var out struct {
				Code *int   `json:"code"`
				Msg  string `json:"msg"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Code == nil {
				t.Fatalf("%s: not a JSON body with a code: %s", req.URL.Path, rec.Body)
			}
			if *out.Code == 0 && out.Msg == "" {
				t.Fatalf("%s: a failure without msg: %s", req.URL.Path, rec.Body)
			}
		}
	})
}
