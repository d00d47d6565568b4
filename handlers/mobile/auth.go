package mobile

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/web/requestinfo"
)

// principalKey is where a request's login is kept in the Gin context.
type principalKey struct{}

// RequireToken lets a request through only with a live login token, read from
// "Authorization: Bearer T", a "token" header or a "token" query parameter (mini-programs
// have no cookies).
func (h *Handler) RequireToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := signIn(c, h.accounts.Authenticate); ok {
			c.Next()
		}
	}
}

// signIn resolves the request's token with check and keeps the login on the request; without a
// live token it answers 401 itself and reports false.
func signIn(c *gin.Context, check func(ctx context.Context, token string) (account.Principal, error)) (account.Principal, bool) {
	token := tokenOf(c)
	if token == "" {
		refuse(c, http.StatusUnauthorized, CodeUnauthorized, "token_missing", i18n.FromContext(c).T("mobile.token_missing"))
		return account.Principal{}, false
	}
	p, err := check(c.Request.Context(), token)
	if err != nil {
		fail(c, err)
		return account.Principal{}, false
	}
	c.Set(principalKey{}, p)
	requestinfo.SetUserID(c, p.AccountID)
	return p, true
}

func principal(c *gin.Context) (account.Principal, bool) {
	v, ok := c.Get(principalKey{})
	if !ok {
		return account.Principal{}, false
	}
	p, ok := v.(account.Principal)
	return p, ok
}

func tokenOf(c *gin.Context) string {
	// The scheme is case-insensitive and may be followed by more than one space (RFC 9110 §11.1).
	if scheme, t, ok := strings.Cut(c.GetHeader("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(t)
	}
	if t := c.GetHeader("token"); t != "" {
		return strings.TrimSpace(t)
	}
	return c.Query("token")
}
