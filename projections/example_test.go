package projections_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// A projector keeps the read models up to date; a Reader serves them.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	events, err := schemas.NewEvents(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, err := projections.New(projections.Config{
		Brokers: []string{"127.0.0.1:9092"},
		Group:   "orderlog-projector",
		Topic:   topics.NewNames("").Events,
		Events:  events,
		Redis:   rdb,
	})
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = p.Run(ctx) }()

	r, err := projections.NewReader(projections.ReaderConfig{Redis: rdb})
	if err != nil {
		log.Fatal(err)
	}
	// Read your writes: the command result said version 3.
	if _, err := r.WaitForVersion(ctx, "order-1", 3, 2*time.Second); err != nil {
		log.Fatal(err)
	}
	v, err := r.Order(ctx, "order-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Status, v.Totals.Total, len(v.StatusHistory))
	page, err := r.OrdersByCustomer(ctx, v.CustomerID, "", 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Orders), page.Next != "")
}
