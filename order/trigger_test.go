package order_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestStatusChangeTriggerType: a status change says who caused it — USER
// for a person's command, SYSTEM for one of orderlog's services (the saga's
// "system:saga") or a command with no user.
func TestStatusChangeTriggerType(t *testing.T) {
	for _, tc := range []struct {
		userID string
		want   string
	}{
		{"user-1", "USER"},
		{"", "SYSTEM"},
		{order.SystemUser("saga"), "SYSTEM"},
		{"systemd", "USER"},
	} {
		t.Run(tc.userID, func(t *testing.T) {
			c := cmd(order.PlaceOrder{})
			c.UserID = tc.userID
			evs, err := order.Decide(draft(t), c)
			require.NoError(t, err)
			var got []string
			for _, e := range evs {
				if d, ok := e.Data.(order.OrderStatusChanged); ok {
					got = append(got, d.TriggerType)
				}
			}
			require.Equal(t, []string{tc.want}, got)
		})
	}
}
