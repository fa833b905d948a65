// Command kafkaping asks a Kafka cluster for its metadata once and exits 0
// when a broker and an active controller answered, 1 otherwise. The test bed
// scripts call it in a loop to wait for the broker they started.
//
//	kafkaping -brokers 127.0.0.1:19092 -timeout 2s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:19092", "comma-separated seed brokers")
	timeout := flag.Duration("timeout", 2*time.Second, "how long to wait for an answer")
	flag.Parse()

	if err := ping(strings.Split(*brokers, ","), *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "kafkaping: %v\n", err)
		os.Exit(1)
	}
}

func ping(brokers []string, timeout time.Duration) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DialTimeout(timeout))
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return fmt.Errorf("metadata from %v: %w", brokers, err)
	}
	if len(md.Brokers) == 0 {
		return errors.New("metadata lists no brokers")
	}
	if md.Controller < 0 {
		return errors.New("cluster has no active controller yet")
	}
	return nil
}
