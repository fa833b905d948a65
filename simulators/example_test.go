package simulators_test

import (
	"fmt"

	"github.com/orderlog/orderlog/simulators"
	"github.com/orderlog/orderlog/topics"
)

// A world where one card in ten is declined, the carrier is down one time
// in five, and one inventory request in a hundred is lost.
func Example() {
	cfg := simulators.DefaultConfig()
	cfg.Brokers = []string{"127.0.0.1:9092"}
	cfg.Topics = topics.NewNames("")
	cfg.Seed = 42
	cfg.Payment.FailureRate = 0.1
	cfg.Shipping.UnavailableRate = 0.2
	cfg.Inventory.DropRate = 0.01
	cfg.Inventory.Stock = map[string]map[string]int64{simulators.DefaultWarehouse1: {"sku-rare": 1}}
	sims, err := simulators.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sims.Stock(simulators.DefaultWarehouse1, "sku-rare"), sims.Stock(simulators.DefaultWarehouse2, "sku-rare"))
	// sims.Run(ctx) would now join the group and answer until ctx is done.
	// Output: 1 1000
}
