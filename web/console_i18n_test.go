package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"wxbind/i18n"
)

// TestConsolePanicSaysSo: a panic behind the console's language middleware answers a plain
// 500 that says, in the reader's language, that the change was not saved.
func TestConsolePanicSaysSo(t *testing.T) {
	cat, err := i18n.New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		tag  language.Tag
		want string
	}{{i18n.Chinese, "你的修改没有保存"}, {language.English, "Your change was not saved"}} {
		e := gin.New()
		e.Use(recovery(log), func(c *gin.Context) { c.Set(i18n.ContextKey, cat.In(tc.tag)); c.Next() })
		e.POST("/admin/boom", func(*gin.Context) { panic("kaboom") })
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/boom", nil))
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), tc.want) || strings.Contains(rec.Body.String(), "kaboom") {
			t.Errorf("%v: %d %q", tc.tag, rec.Code, rec.Body)
		}
	}
}
