package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestPoisonCommandsFromKcatLandInTheDLQWithTheirReason sends commands orderd
// cannot read, and a good one after them, with kcat; the bad ones are on the
// dead-letter topic, byte for byte, with a dlq-error header that says what
// is wrong, and the good one is processed all the same.
func TestPoisonCommandsFromKcatLandInTheDLQWithTheirReason(t *testing.T) {
	t.Parallel()
	b := needBed(t)
	prefix := testenv.TopicPrefix(t)
	startOrderd(t, b, prefix)
	commands := prefix + "order.commands"

	malformed, unknown, mismatch, good := randomID("bad-json-"), randomID("bad-type-"), randomID("bad-key-"), randomID("good-")
	poison := map[string]struct{ value, reason string }{
		malformed: {`{"commandId":"p1","type":"CreateOrder","orderId":"` + malformed + `","data":{`, "bad command: JSON: unexpected EOF"},
		unknown:   {`{"commandId":"p2","type":"TeleportOrder","orderId":"` + unknown + `","data":{}}`, `bad command: unknown command type "TeleportOrder"`},
		mismatch:  {`{"commandId":"p3","type":"PlaceOrder","orderId":"someone-else","data":{}}`, `the record key "` + mismatch + `" is not the command's orderId "someone-else"`},
	}
	var recs []keyed
	for key, p := range poison {
		recs = append(recs, keyed{key: key, value: p.value})
	}
	recs = append(recs, command("g1", "CreateOrder", good, "corr-good", `{"customerId":"cust-3","currency":"USD"}`))
	kcatProduce(t, b, commands, true, recs...)

	dlq := kcatConsume(t, b, prefix+"order.commands.dlq", len(poison), 30*time.Second)
	require.Len(t, dlq, len(poison))
	for _, r := range dlq {
		want, ok := poison[r.Key]
		require.True(t, ok, "unexpected key %q on the DLQ", r.Key)
		require.Equal(t, want.value, r.Payload, "the DLQ keeps the original bytes")
		reason, _ := r.header("dlq-error")
		require.Equal(t, want.reason, reason)
		src, _ := r.header("dlq-source-topic")
		require.Equal(t, commands, src)
		_, ok = r.header("dlq-source-offset")
		require.True(t, ok, "dlq-source-offset header")
		t.Logf("DLQ %s: %s", r.Key, reason)
	}

	res := kcatConsume(t, b, prefix+"order.command-results", 1, 30*time.Second)
	require.Len(t, res, 1, "only the good command has a result")
	require.Equal(t, good, res[0].Key)
	status, _ := res[0].header("status")
	require.Equal(t, "ACCEPTED", status)
}
