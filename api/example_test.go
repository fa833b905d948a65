package api_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// The api role of orderd: a producer for commands, a consumer of results,
// a Reader of the projections, and the handler on an HTTP server.
func Example() {
	ctx := context.Background()
	brokers, names := []string{"127.0.0.1:9092"}, topics.NewNames("")
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})})
	if err != nil {
		log.Fatal(err)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()
	resultSerde, err := schemas.NewResults(ctx)
	if err != nil {
		log.Fatal(err)
	}
	results, err := api.NewKafkaResults(api.ResultsConfig{Brokers: brokers, Topic: names.Results, Results: resultSerde})
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = results.Run(ctx) }()
	srv, err := api.New(api.Config{Reader: reader, Commands: api.NewKafkaSender(producer, names.Commands), Results: results,
		JWTKey: []byte("secret"), Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(":8080", srv.Handler()))
}
