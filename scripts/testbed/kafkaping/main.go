// Command kafkaping asks a Kafka cluster for its metadata once and exits 0
// when a broker and an active controller answered, 1 otherwise. The test bed
// scripts call it in a loop to wait for the broker they started.
//
//	kafkaping -brokers 127.0.0.1:19092 -timeout 2s
//
// With -want-brokers N it also needs N brokers registered; with -isr-full
// every partition of every topic must have all its replicas in sync (a
// restarted broker has caught up: kafka3.sh waits for it before the next
// node of a rolling restart goes down); with -node ID the broker of that
// node id must be among them (registered and not fenced).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/kafkaopts"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:19092", "comma-separated seed brokers")
	timeout := flag.Duration("timeout", 2*time.Second, "how long to wait for an answer")
	want := flag.Int("want-brokers", 1, "brokers the metadata must list")
	isrFull := flag.Bool("isr-full", false, "also require every partition's in-sync replicas to be all its replicas")
	node := flag.Int("node", -1, "node id the metadata must list (-1: any)")
	var sec kafkaopts.Config
	flag.StringVar(&sec.TLSCAFile, "tls-ca-file", "", "connect over TLS, trusting the CAs of this PEM file")
	flag.StringVar(&sec.SASLMechanism, "sasl-mechanism", "", "SASL mechanism (with -sasl-user and -sasl-password)")
	flag.StringVar(&sec.SASLUser, "sasl-user", "", "SASL user")
	flag.StringVar(&sec.SASLPassword, "sasl-password", "", "SASL password")
	flag.Parse()
	sec.TLS = sec.TLSCAFile != ""
	opts, err := sec.ClientOpts()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kafkaping: %v\n", err)
		os.Exit(2)
	}

	if err := ping(strings.Split(*brokers, ","), *timeout, *want, int32(*node), *isrFull, opts...); err != nil {
		fmt.Fprintf(os.Stderr, "kafkaping: %v\n", err)
		os.Exit(1)
	}
}

func ping(brokers []string, timeout time.Duration, want int, node int32, isrFull bool, opts ...kgo.Opt) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.DialTimeout(timeout)}, opts...)...)
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
	if len(md.Brokers) < want {
		return fmt.Errorf("metadata lists %d brokers, want %d", len(md.Brokers), want)
	}
	if node >= 0 && !slices.ContainsFunc(md.Brokers, func(b kadm.BrokerDetail) bool { return b.NodeID == node }) {
		return fmt.Errorf("node %d is not among the brokers", node)
	}
	if md.Controller < 0 {
		return errors.New("cluster has no active controller yet")
	}
	if isrFull {
		return checkISR(ctx, kadm.NewClient(cl))
	}
	return nil
}

// checkISR fails while some partition has a replica out of sync.
func checkISR(ctx context.Context, adm *kadm.Client) error {
	tds, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	behind := 0
	for _, td := range tds {
		for _, p := range td.Partitions {
			if p.Err != nil || len(p.ISR) < len(p.Replicas) {
				behind++
			}
		}
	}
	if behind > 0 {
		return fmt.Errorf("%d partitions with replicas out of sync", behind)
	}
	return nil
}
