package topics_test

import (
	"fmt"

	"github.com/orderlog/orderlog/topics"
)

func ExampleNew() {
	set, err := topics.New(topics.Config{Prefix: "staging.", Partitions: 12, ReplicationFactor: 3})
	if err != nil {
		panic(err)
	}
	fmt.Println(set.Names().Events)
	for _, sp := range set.Specs() {
		fmt.Println(sp.Name, sp.Partitions, sp.Configs["cleanup.policy"])
	}
	// Output:
	// staging.order.events
	// staging.order.commands 12 delete
	// staging.order.events 12 delete
	// staging.order.state 12 compact
	// staging.order.command-results 12 delete
	// staging.order.commands.dlq 12 delete
	// staging.order.saga-state 12 compact
	// staging.payment.requests 12 delete
	// staging.payment.results 12 delete
	// staging.inventory.requests 12 delete
	// staging.inventory.results 12 delete
	// staging.shipping.requests 12 delete
	// staging.shipping.results 12 delete
	// staging.notification.requests 12 delete
}
