// Package requestinfo carries what a handler learns about a request (who made it, what came
// of it) to the middleware that logs and counts it, and to the audit log as the request's actor.
// Below web and the handler packages (it imports only account, for the Actor type), it lets them
// share this without importing one another; the keys are unexported types, so nothing else can
// overwrite them by accident.
package requestinfo

import (
	"github.com/gin-gonic/gin"

	"wxbind/account"
)

type (
	userKey    struct{}
	outcomeKey struct{}
)

// user is the account a request acts as; name is "" where the handler does not know it.
type user struct {
	id   uint64
	name string
}

// SetUserID records the account the request acts as, for the access log, per-account limits and
// the audit log.
func SetUserID(c *gin.Context, id uint64) { SetUser(c, id, "") }

// SetUser is SetUserID with the account's username, which the audit log then names as the actor.
func SetUser(c *gin.Context, id uint64, username string) { c.Set(userKey{}, user{id, username}) }

// UserID is the account set by SetUserID or SetUser; false for an anonymous request.
func UserID(c *gin.Context) (uint64, bool) {
	v, ok := c.Get(userKey{})
	u, isUser := v.(user)
	return u.id, ok && isUser
}

// Actor is who does what from where, for the audit log: the client's address and the account
// set by SetUserID or SetUser, if any.
func Actor(c *gin.Context) account.Actor {
	a := account.Actor{IP: c.ClientIP()}
	if v, ok := c.Get(userKey{}); ok {
		if u, ok := v.(user); ok {
			a.AccountID, a.Name = &u.id, u.name
		}
	}
	return a
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
