// Package requestinfo carries what a handler learns about a request (who made it, what came
// of it) to the middleware that logs and counts it. It is a leaf so that web and every handler
// package can share it without importing one another; the keys are unexported types, so nothing
// else can overwrite them by accident.
package requestinfo

import "github.com/gin-gonic/gin"

type (
	userIDKey  struct{}
	outcomeKey struct{}
)

// SetUserID records the account the request acts as, for the access log and per-account limits.
func SetUserID(c *gin.Context, id uint64) { c.Set(userIDKey{}, id) }

// UserID is the account set by SetUserID; false for an anonymous request.
func UserID(c *gin.Context) (uint64, bool) {
	id, ok := c.Get(userIDKey{})
	uid, isID := id.(uint64)
	return uid, ok && isID
}

// SetOutcome records what came of a mobile request — "login", "not_bound" or a failure reason —
// for the metrics.
func SetOutcome(c *gin.Context, outcome string) { c.Set(outcomeKey{}, outcome) }

// Outcome is the outcome set by SetOutcome; "" when none was.
func Outcome(c *gin.Context) string {
	v, _ := c.Get(outcomeKey{})
	s, _ := v.(string)
	return s
}
