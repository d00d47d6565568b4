package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/handlers/mobile"
	"wxbind/i18n"
)

// limitPerAccount refuses a logged-in account's requests past r with 429 and Retry-After, so
// that one user cannot spend the appid's WeChat quota for everyone. Use after RequireToken.
func limitPerAccount(r Rate, now func() time.Time) gin.HandlerFunc {
	if r.PerSecond <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	lim := newKeyedLimiter(r)
	return func(c *gin.Context) {
		id, ok := c.Get(mobile.UserIDKey)
		if !ok {
			c.Next() // RequireToken has refused it already
			return
		}
		allowed, wait := lim.reserve(fmt.Sprint(id), now())
		if allowed {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(secs))
		msg := i18n.FromContext(c).Tf("mobile.rate_limited", map[string]any{"Seconds": secs})
		c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"code": 0, "msg": msg, "reason": "rate_limited"})
	}
}
