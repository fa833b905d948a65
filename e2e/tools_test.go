package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// keyed is one record for kcat -P -K '|': the key, then the value; for a
// command made by command(), also its commandId.
type keyed struct{ key, value, commandID string }

// kcatProduce sends records with kcat. With javaPartitioner the keys are
// placed by murmur2, as the Java client (and orderd) place them; without,
// by kcat's default (CRC32), which strays from orderd's partitions.
func kcatProduce(t *testing.T, b bed, topic string, javaPartitioner bool, recs ...keyed) {
	t.Helper()
	var in strings.Builder
	for _, r := range recs {
		require.NotContains(t, r.key+r.value, "|", "the kcat key delimiter")
		require.NotContains(t, r.value, "\n", "kcat reads one record per line")
		fmt.Fprintf(&in, "%s|%s\n", r.key, r.value)
	}
	args := []string{"-P", "-b", b.brokers, "-t", topic, "-K", "|"}
	if javaPartitioner {
		args = append(args, "-X", "partitioner=murmur2_random")
	}
	tool(t, 30*time.Second, in.String(), "kcat", args...)
}

// kcatRecord is one line of kcat -J.
type kcatRecord struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       string   `json:"key"`
	Payload   string   `json:"payload"`
	Headers   []string `json:"headers"` // key, value, key, value, ...
}

func (r kcatRecord) header(k string) (string, bool) {
	for i := 0; i+1 < len(r.Headers); i += 2 {
		if r.Headers[i] == k {
			return r.Headers[i+1], true
		}
	}
	return "", false
}

// kcatConsume reads topic from the start with read_committed until it holds
// at least n records, or fails the test after timeout.
func kcatConsume(t *testing.T, b bed, topic string, n int, timeout time.Duration) []kcatRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := tool(t, 30*time.Second, "", "kcat", "-C", "-b", b.brokers, "-t", topic, "-o", "beginning", "-e", "-q", "-J",
			"-X", "isolation.level=read_committed")
		var recs []kcatRecord
		for line := range strings.Lines(out) {
			var r kcatRecord
			require.NoError(t, json.Unmarshal([]byte(line), &r), "kcat -J line %q", line)
			recs = append(recs, r)
		}
		if len(recs) >= n || time.Now().After(deadline) {
			require.GreaterOrEqual(t, len(recs), n, "records on %s within %s", topic, timeout)
			return recs
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// event is one line of testdata/read_events.py.
type event struct {
	Partition   int32             `json:"partition"`
	Offset      int64             `json:"offset"`
	Key         string            `json:"key"`
	Headers     map[string]string `json:"headers"`
	Framing     string            `json:"framing"`
	SchemaID    int               `json:"schemaId"`
	Fingerprint string            `json:"fingerprint"`       // of the single-object header
	SchemaFP    string            `json:"schemaFingerprint"` // fastavro's, of the schema file
	Decoder     string            `json:"decoder"`
	Value       struct {
		ID             string `json:"id"`
		OrderID        string `json:"orderId"`
		EventType      string `json:"eventType"`
		SequenceNumber int64  `json:"sequenceNumber"`
		CorrelationID  string `json:"correlationId"`
		CausationID    string `json:"causationId"`
		Data           struct {
			NewStatus struct {
				Name string `json:"name"`
			} `json:"newStatus"`
		} `json:"data"`
	} `json:"value"`
}

// pythonReadEvents reads n Avro records of topic with read_events.py:
// with the registry (Confluent wire format), or with the schema file
// (single-object encoding) when registry is empty.
func pythonReadEvents(t *testing.T, b bed, topic string, n int, registry, schemaFile string) []event {
	t.Helper()
	args := []string{"testdata/read_events.py", "--bootstrap", b.brokers, "--topic", topic, "--count", strconv.Itoa(n), "--timeout", "60"}
	if registry != "" {
		args = append(args, "--registry", registry)
	} else {
		args = append(args, "--schema", schemaFile)
	}
	out := tool(t, 120*time.Second, "", "python3", args...)
	var evs []event
	for line := range strings.Lines(out) {
		var e event
		require.NoError(t, json.Unmarshal([]byte(line), &e), "read_events.py line %q", line)
		evs = append(evs, e)
	}
	require.Len(t, evs, n)
	return evs
}

// consoleConsume reads n records of topic with Kafka's own
// kafka-console-consumer (read_committed) and returns, per record, its
// headers ("k:v,k:v") and key, tab-separated. Values are not printed: they
// are binary Avro.
func consoleConsume(t *testing.T, b bed, topic string, n int) []string {
	t.Helper()
	cp := testenv.KafkaClasspath(t)
	out := tool(t, 60*time.Second, "", "java", "-cp", cp, "org.apache.kafka.tools.consumer.ConsoleConsumer",
		"--bootstrap-server", b.brokers, "--topic", topic, "--from-beginning", "--isolation-level", "read_committed",
		"--formatter-property", "print.headers=true", "--formatter-property", "print.key=true",
		"--formatter-property", "print.value=false",
		"--max-messages", strconv.Itoa(n), "--timeout-ms", "30000")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, n, "kafka-console-consumer output:\n%s", out)
	return lines
}
