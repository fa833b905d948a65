package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestWithoutRegistryEventsAreSingleObjectEncodedForAnyAvroReader runs
// orderd without a schema registry and decodes its events with Python's
// fastavro and nothing but schemas/avro/order_event.avsc: the 0xC3 0x01
// header carries the CRC-64-AVRO fingerprint fastavro computes for that
// file, and the body is plain Avro binary.
func TestWithoutRegistryEventsAreSingleObjectEncodedForAnyAvroReader(t *testing.T) {
	t.Parallel()
	b := needBed(t)
	prefix := testenv.TopicPrefix(t)
	startOrderd(t, b, prefix) // no ORDERLOG_SCHEMA_REGISTRY_URL

	orderID := randomID("ord-")
	kcatProduce(t, b, prefix+"order.commands", true, lifecycle(orderID, "corr-so")[:3]...) // create, ship-to, place
	want := lifecycleEvents[:5]

	evs := pythonReadEvents(t, b, prefix+"order.events", len(want), "", "../schemas/avro/order_event.avsc")
	var types []string
	for i, e := range evs {
		require.Equal(t, "single-object", e.Framing)
		require.Equal(t, orderID, e.Value.OrderID)
		require.Equal(t, int64(i+1), e.Value.SequenceNumber)
		types = append(types, e.Value.EventType)
	}
	require.Equal(t, want, types)
	require.Equal(t, "PLACED", evs[len(evs)-1].Value.Data.NewStatus.Name)

	t.Run("HeaderFingerprintIsTheSpecsCRC64AvroOfTheSchema", func(t *testing.T) {
		got, want := evs[0].Fingerprint, evs[0].SchemaFP
		for _, e := range evs {
			require.Equal(t, got, e.Fingerprint, "every event is written with the same schema")
		}
		// Readers that look the writer schema up by fingerprint (Java's
		// SchemaStore, fastavro) need the spec's CRC-64-AVRO of the schema.
		require.Equal(t, want, got, "the header's fingerprint is the one fastavro computes for order_event.avsc")
	})
}
