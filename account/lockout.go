package account

import (
	"context"
	"time"

	"wxbind/models"
)

// Password lockout: failed binds and console logins, counted together over LoginThrottleWindow
// from the audit log, so both doors and every server instance count the same failures.
//
// Refusals only ever fall on the address the failures came from, so a stranger guessing at a
// known username cannot lock its owner out: the owner, from any other address, still logs in.
// Failures for one username from many addresses slow every attempt at it instead (a bounded,
// growing delay), which costs the owner a few seconds at worst and never a refusal.
const (
	LoginThrottleWindow = 15 * time.Minute
	// MaxFailedLoginsPerUserAddress failures for one username from one address refuse that
	// username from that address.
	MaxFailedLoginsPerUserAddress = 5
	// MaxFailedLoginsPerIP failures from one address, whatever the usernames, refuse the address.
	MaxFailedLoginsPerIP = 20
	// SlowLoginsPerUser failures for one username from all addresses start the delay.
	SlowLoginsPerUser = 50
	// LoginDelayStep is the delay at SlowLoginsPerUser failures; it grows by as much per
	// further LoginDelayEvery failures, up to MaxLoginDelay.
	LoginDelayStep  = 500 * time.Millisecond
	LoginDelayEvery = 10
	MaxLoginDelay   = 3 * time.Second
)

// passwordLockout runs before a password is checked. It refuses the attempt when its address
// has failed too often, for this username or for any; and it delays the attempt, honouring ctx,
// when the username has failed very often from all addresses together.
func (s *Service) passwordLockout(ctx context.Context, username, ip string) error {
	since := s.clock().Add(-LoginThrottleWindow)
	n, err := s.store.CountLoginFailures(ctx, []string{ActionBindFailed, ActionConsoleLoginFailed}, since, loginTarget(username), ip, models.LoginFailureCaps{
		OfTarget: maxDelayFailures, OfTargetFromAddress: MaxFailedLoginsPerUserAddress, FromAddress: MaxFailedLoginsPerIP,
	})
	if err != nil {
		return err
	}
	if n.FromAddress >= MaxFailedLoginsPerIP || n.OfTargetFromAddress >= MaxFailedLoginsPerUserAddress {
		return ErrLoginThrottled
	}
	d := LoginDelay(n.OfTarget)
	if d == 0 {
		return nil
	}
	if n.OfTarget == SlowLoginsPerUser {
		s.log.Warn("password guessing at one username from many addresses: slowing its logins", "target", loginTarget(username), "failures", n.OfTarget, "window", LoginThrottleWindow)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LoginDelay is how long an attempt at a username waits after failures failed attempts at it
// from all addresses within LoginThrottleWindow: nothing below SlowLoginsPerUser, then
// LoginDelayStep, growing by LoginDelayStep every LoginDelayEvery failures, at most MaxLoginDelay.
func LoginDelay(failures int64) time.Duration {
	if failures < SlowLoginsPerUser {
		return 0
	}
	steps := 1 + (failures-SlowLoginsPerUser)/LoginDelayEvery
	if steps >= int64(MaxLoginDelay/LoginDelayStep) {
		return MaxLoginDelay
	}
	return LoginDelayStep * time.Duration(steps)
}

// maxDelayFailures is the count of failures at which LoginDelay reaches MaxLoginDelay.
const maxDelayFailures = SlowLoginsPerUser + (int(MaxLoginDelay/LoginDelayStep)-1)*LoginDelayEvery

// LockoutRetryAfter is how long a locked-out client should wait before trying again.
func LockoutRetryAfter() time.Duration { return LoginThrottleWindow }
