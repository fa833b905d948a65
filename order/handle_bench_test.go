package order_test

import (
	"fmt"
	"testing"

	"github.com/orderlog/orderlog/order"
)

// BenchmarkHandle measures Handle on an order that remembers n commands:
// the lookup scans the memory and the budget measures the state, so the
// cost grows with n (docs/dedup.md reports it).
func BenchmarkHandle(b *testing.B) {
	for _, n := range []int{10, 1_000, 30_000} {
		b.Run(fmt.Sprintf("remembered=%d", n), func(b *testing.B) {
			s, _, _ := decider.Handle(order.State{}, created()[0])
			for i := range n {
				s.Handled.Accepted = append(s.Handled.Accepted, order.AcceptedCommand{Fingerprint: order.Fingerprint(fmt.Sprint(i)), Version: int64(i), Events: 1})
			}
			c := cmd(order.RecordNotification{NotificationID: "n", Channel: "email", Template: "t"})
			b.ReportAllocs()
			for b.Loop() {
				decider.Handle(s, c)
			}
		})
	}
}
