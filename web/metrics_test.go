package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"wxbind/web"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

func TestMetrics(t *testing.T) {
	metrics := web.NewMetrics()
	app := webtest.Start(t, webtest.Options{Metrics: metrics})
	app.CreateAccount(t, "vic", "vic-password", "user")
	app.BindNew(t, "vic-phone", "vic", "vic-password")
	app.CheckBind(t, wechattest.Code("vic-phone"))
	app.CheckBind(t, "err:45011")
	app.Do(t, http.MethodGet, "/mobileApi/user/info", nil)
	app.Do(t, http.MethodGet, "/mobileApi/user/"+strings.Repeat("x", 50), nil)

	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`wxbind_http_requests_total{method="GET",route="/mobileApi/user/checkBind",status="200"} 2`,
		`wxbind_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`wxbind_mobile_outcomes_total{outcome="not_bound",route="/mobileApi/user/checkBind"} 1`,
		`wxbind_mobile_outcomes_total{outcome="login",route="/mobileApi/user/checkBind"} 1`,
		`wxbind_mobile_outcomes_total{outcome="login",route="/mobileApi/user/bind"} 1`,
		`wxbind_mobile_outcomes_total{outcome="wechat_rate_limited",route="/mobileApi/user/checkBind"} 1`,
		`wxbind_mobile_outcomes_total{outcome="token_missing",route="/mobileApi/user/info"} 1`,
		`wxbind_http_request_duration_seconds_bucket{method="POST",route="/mobileApi/user/bind"`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "xxxxxxxxxx") {
		t.Error("raw paths must not become labels")
	}
}
