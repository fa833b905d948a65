package saga

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/integration"
)

func TestBackoffGrowsWithJitterAndIsBounded(t *testing.T) {
	b := NewBackoff(100*time.Millisecond, 2*time.Second)
	for attempt := int32(1); attempt <= 10; attempt++ {
		base := min(100*time.Millisecond<<(attempt-1), 2*time.Second)
		for range 50 {
			d := b(attempt)
			require.LessOrEqual(t, d, 2*time.Second, "attempt %d", attempt)
			require.GreaterOrEqual(t, d, base/2, "attempt %d: at least half the base with ±50%% jitter", attempt)
			if base < 2*time.Second {
				require.LessOrEqual(t, d, base*3/2, "attempt %d", attempt)
			}
		}
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[b(3)] = true
	}
	require.Greater(t, len(seen), 1, "jittered, not a fixed delay")
}

func TestBreakerOpensAfterConsecutiveMissingAnswersAndRecovers(t *testing.T) {
	var changes []bool
	b := newBreakers(BreakerSettings{Failures: 3, OpenFor: 50 * time.Millisecond}, func(sys integration.System, open bool) {
		if sys == integration.Payment {
			changes = append(changes, open)
		}
	})
	b.observe(integration.Payment, false)
	b.observe(integration.Payment, false)
	require.False(t, b.open(integration.Payment))
	b.observe(integration.Payment, true) // an answer resets the count
	b.observe(integration.Payment, false)
	b.observe(integration.Payment, false)
	require.False(t, b.open(integration.Payment))
	b.observe(integration.Payment, false)
	require.True(t, b.open(integration.Payment), "three in a row open it")
	require.False(t, b.open(integration.Inventory), "one breaker per system")

	time.Sleep(60 * time.Millisecond)
	require.False(t, b.open(integration.Payment), "half-open after OpenFor: one request may go")
	b.observe(integration.Payment, true)
	require.False(t, b.open(integration.Payment))
	require.Equal(t, []bool{true, false, false}, changes, "open, then half-open, then closed")
}
