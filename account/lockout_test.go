package account

import (
	"testing"
	"time"
)

// TestLoginDelay: no delay below SlowLoginsPerUser; then LoginDelayStep, one more step every
// LoginDelayEvery failures, never past MaxLoginDelay — also for absurd counts.
func TestLoginDelay(t *testing.T) {
	for _, c := range []struct {
		failures int64
		want     time.Duration
	}{
		{0, 0}, {49, 0}, {50, 500 * time.Millisecond}, {59, 500 * time.Millisecond},
		{60, time.Second}, {99, 2500 * time.Millisecond}, {100, 3 * time.Second},
		{int64(maxDelayFailures), MaxLoginDelay}, {1 << 62, MaxLoginDelay},
	} {
		if got := LoginDelay(c.failures); got != c.want {
			t.Errorf("LoginDelay(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
}
