package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestLifecycleFromKcatReadByPythonAvroAndJavaConsoleConsumer sends an
// order's whole lifecycle as JSON with kcat to orderd configured with the
// schema registry, then reads what downstream teams read: the events with
// Python (Confluent wire format, schema from the registry) and the command
// results with Kafka's console consumer. One more command is sent with
// kcat's default partitioner, lands on the wrong partition, and is
// re-routed.
func TestLifecycleFromKcatReadByPythonAvroAndJavaConsoleConsumer(t *testing.T) {
	t.Parallel()
	b := needBed(t)
	if b.registry == "" {
		t.Skip("ORDERLOG_SCHEMA_REGISTRY_URL is unset (make test starts a registry)")
	}
	prefix := testenv.TopicPrefix(t)
	p := startOrderd(t, b, prefix, "ORDERLOG_SCHEMA_REGISTRY_URL="+b.registry)
	commands, events, results := prefix+"order.commands", prefix+"order.events", prefix+"order.command-results"

	orderID, corr := randomID("ord-"), randomID("corr-")
	cmds := lifecycle(orderID, corr)
	kcatProduce(t, b, commands, true, cmds...)
	stray := strayKey("stray-", partitions)
	kcatProduce(t, b, commands, false, command(stray+"-c1", "CreateOrder", stray, "corr-stray", `{"customerId":"cust-2","currency":"EUR"}`))

	// Events, through the registry, as a Python consumer sees them.
	evs := pythonReadEvents(t, b, events, len(lifecycleEvents)+1, b.registry, "")
	t.Logf("Python decoded the events with %s", evs[0].Decoder)
	commandIDs := map[string]bool{}
	for _, c := range cmds {
		commandIDs[c.commandID] = true
	}
	var mine []event
	for _, e := range evs {
		require.Equal(t, "confluent", e.Framing)
		require.Positive(t, e.SchemaID)
		require.Equal(t, e.Key, e.Value.OrderID)
		require.Equal(t, javaPartition(e.Key, partitions), e.Partition, "event of %s on its order's partition", e.Key)
		if e.Key == orderID {
			mine = append(mine, e)
		}
	}
	require.Len(t, mine, len(lifecycleEvents))
	var types []string
	for i, e := range mine {
		types = append(types, e.Value.EventType)
		require.Equal(t, int64(i+1), e.Value.SequenceNumber, "sequence numbers 1..n without gaps")
		require.Equal(t, e.Value.EventType, e.Headers["event-type"])
		require.Equal(t, corr, e.Headers["correlation-id"])
		require.Equal(t, e.Value.CausationID, e.Headers["causation-id"])
		require.True(t, commandIDs[e.Headers["causation-id"]], "causation-id %q is one of the commands", e.Headers["causation-id"])
	}
	require.Equal(t, lifecycleEvents, types)
	last := mine[len(mine)-1]
	require.Equal(t, "ORDER_STATUS_CHANGED", last.Value.EventType)
	require.Equal(t, "DELIVERED", last.Value.Data.NewStatus.Name)

	// Results, as Kafka's own console consumer prints them.
	perKey := map[string]int{}
	for _, line := range consoleConsume(t, b, results, len(cmds)+1) {
		hdrs, key, ok := strings.Cut(line, "\t")
		require.True(t, ok, "headers<TAB>key: %q", line)
		require.Contains(t, strings.Split(hdrs, ","), "status:ACCEPTED", "result %q", line)
		perKey[key]++
	}
	require.Equal(t, map[string]int{orderID: len(cmds), stray: 1}, perKey)

	// The stray: where kcat put it, and its re-routed copy.
	from, to := kcatDefaultPartition(stray, partitions), javaPartition(stray, partitions)
	var original, rerouted bool
	for _, r := range kcatConsume(t, b, commands, len(cmds)+2, 30*time.Second) {
		if r.Key != stray {
			continue
		}
		if h, ok := r.header("rerouted-from-partition"); ok {
			require.Equal(t, fmt.Sprint(from), h)
			require.Equal(t, to, r.Partition)
			rerouted = true
		} else {
			require.Equal(t, from, r.Partition, "kcat's default partitioner (CRC32)")
			original = true
		}
	}
	require.True(t, original && rerouted, "the stray command and its re-routed copy are on %s", commands)

	_, metrics, err := p.get("/metrics")
	require.NoError(t, err)
	require.Contains(t, metrics, "orderlog_processor_rerouted_total 1")
	require.Contains(t, metrics, `orderlog_processor_commands_total{outcome="ACCEPTED",type="DeliverOrder"} 1`)
	p.stop()
}
