package account

import (
	"context"
	"time"
)

// ActionBindFailed records a mini-program bind refused for a wrong username or password.
const ActionBindFailed = "bind_failed"

// passwordLockout refuses a password attempt once the username, or the address, has failed too
// often within LoginThrottleWindow — counting console logins and mini-program binds together, so
// switching doors buys a guesser nothing. The failures live in the audit log, so every server
// instance sees the same count.
func (s *Service) passwordLockout(ctx context.Context, username, ip string) error {
	since := s.clock().Add(-LoginThrottleWindow)
	var byUser, byIP int64
	for _, action := range []string{ActionBindFailed, ActionConsoleLoginFailed} {
		n, err := s.store.CountAuditSince(ctx, action, since, loginTarget(username), "")
		if err != nil {
			return err
		}
		byUser += n
		if ip != "" {
			n, err = s.store.CountAuditSince(ctx, action, since, "", ip)
			if err != nil {
				return err
			}
			byIP += n
		}
	}
	if byUser >= MaxFailedLoginsPerUser || byIP >= MaxFailedLoginsPerIP {
		return ErrLoginThrottled
	}
	return nil
}

// LockoutRetryAfter is how long a locked-out client should wait before trying again.
func LockoutRetryAfter() time.Duration { return LoginThrottleWindow }
