package brokerchaos

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka3 is the three-node cluster of scripts/testbed/kafka3.sh; nodes are
// numbered 1 to 3, as their node.id.
type kafka3 struct {
	dir     string
	brokers []string
}

func script() string { return filepath.Join(moduleRoot, "scripts", "testbed", "kafka3.sh") }

// startKafka3 starts the cluster in dir on free ports.
func startKafka3(dir string) (*kafka3, error) {
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(script(), append([]string{"start", dir}, ports...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("kafka3.sh start: %w: %s", err, stderrOf(err))
	}
	return &kafka3{dir: dir, brokers: strings.Split(strings.TrimSpace(string(out)), ",")}, nil
}

func (k *kafka3) run(args ...string) error {
	if out, err := exec.Command(script(), args...).CombinedOutput(); err != nil {
		return fmt.Errorf("kafka3.sh %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// kill sends SIGKILL to node n and waits until it is gone.
func (k *kafka3) kill(n int32) error { return k.run("kill", k.dir, strconv.Itoa(int(n))) }

// term stops node n cleanly (SIGTERM: a controlled shutdown).
func (k *kafka3) term(n int32) error { return k.run("term", k.dir, strconv.Itoa(int(n))) }

// restart starts node n on its data and waits until it is registered and
// every partition's replicas are in sync again.
func (k *kafka3) restart(n int32) error { return k.run("restart", k.dir, strconv.Itoa(int(n))) }

func (k *kafka3) stop() { _ = k.run("stop", k.dir) }

// leaderOfMost is the node that leads most partitions of topic.
func leaderOfMost(ctx context.Context, adm *kadm.Client, topic string) (int32, error) {
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return -1, err
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return -1, fmt.Errorf("topic %s: %v", topic, td.Err)
	}
	led := map[int32]int{}
	best := int32(-1)
	for _, p := range td.Partitions {
		led[p.Leader]++
		if best < 0 || led[p.Leader] > led[best] {
			best = p.Leader
		}
	}
	return best, nil
}

// activeController is the leader of the KRaft quorum (__cluster_metadata).
func activeController(ctx context.Context, cl *kgo.Client) (int32, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rp := kmsg.NewDescribeQuorumRequestTopicPartition()
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return -1, fmt.Errorf("describe quorum: %w", err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.LeaderID >= 0 {
				return p.LeaderID, nil
			}
		}
	}
	return -1, errors.New("describe quorum: no leader")
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
