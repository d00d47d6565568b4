package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/i18n"
	"wxbind/web/requestinfo"
)

const requestIDHeader = "X-Request-Id"

// requestID keeps a caller's sane X-Request-Id or makes one, and echoes it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !saneRequestID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set("request_id", id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request. It logs the route template and path, never the query
// string, which can hold a login code or a token.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("request_id", c.GetString("request_id")),
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", c.ClientIP()),
		}
		if uid, ok := requestinfo.UserID(c); ok {
			attrs = append(attrs, slog.Uint64("user_id", uid))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("error", c.Errors.Last().Error()))
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		log.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}

// recovery turns a panic into a logged error and a plain 500, so no panic reaches a client.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler { // the client went away; nothing to answer
					panic(r)
				}
				log.Error("panic serving request", "request_id", c.GetString("request_id"),
					"route", c.FullPath(), "panic", r, "stack", string(debug.Stack()))
				if isMobile(c) {
					c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"code": 0, "msg": i18n.FromContext(c).T("mobile.server_error"), "reason": "server_error"})
					return
				}
				if tr := i18n.FromContext(c); tr.Has("console.error.server") && !c.Writer.Written() { // a console page
					c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte(tr.T("console.error.server")))
				}
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// limitBody caps request bodies; reading past the cap fails with *http.MaxBytesError.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// requestTimeout bounds the database and WeChat calls a request makes.
func requestTimeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// mobileLanguage picks each mini-program request's language (lang parameter or header,
// Accept-Language, WeChat's User-Agent, DEFAULT_LANG) for the messages it gets back.
func mobileLanguage(cat *i18n.Catalog) gin.HandlerFunc {
	return func(c *gin.Context) {
		if isMobile(c) {
			c.Set(i18n.ContextKey, cat.In(cat.ForMobile(c.Request)))
		}
		c.Next()
	}
}
