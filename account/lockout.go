package account

import (
	"context"
	"time"
)

// Password lockout: failed binds and console logins, counted together over
// LoginThrottleWindow from the audit log, so every server instance counts the same failures.
const (
	LoginThrottleWindow    = 15 * time.Minute
	MaxFailedLoginsPerUser = 5
	MaxFailedLoginsPerIP   = 20
)

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
