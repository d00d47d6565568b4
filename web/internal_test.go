package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestRecoveryAnswersJSON: a panic in a handler becomes a logged 500 with a JSON body for the
// mini-program, not a dropped connection or a stack trace.
func TestRecoveryAnswersJSON(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := gin.New()
	e.Use(requestID(), accessLog(log), recovery(log))
	e.GET("/mobileApi/boom", func(*gin.Context) { panic("kaboom") })
	e.GET("/admin/boom", func(*gin.Context) { panic("kaboom") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobileApi/boom", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":0`) || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("mobile panic: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/boom", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("console panic: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "stack=") {
		t.Fatalf("the panic and its stack must be logged:\n%s", logs.String())
	}
}

func TestAccessLogOmitsQuery(t *testing.T) {
	var logs strings.Builder
	e := gin.New()
	e.Use(requestID(), accessLog(slog.New(slog.NewTextHandler(&logs, nil))))
	e.GET("/x", func(c *gin.Context) { c.Status(204) })
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x?code=SECRETCODE&token=SECRETTOKEN", nil))
	if strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("the query string must not be logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "status=204") {
		t.Fatalf("status missing:\n%s", logs.String())
	}
}
