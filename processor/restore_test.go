package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
)

// TestAnUndecodableStateIsNeverSkipped: a state record that cannot be read
// must not leave its order at an older (here: no) state, or the next command
// would be decided on it. The member keeps retrying the restore and stays
// not ready; no command of the partition is decided meanwhile.
func TestAnUndecodableStateIsNeverSkippedOnKfake(t *testing.T) {
	b := kfakeBed(t)
	require.NoError(t, b.producer.ProduceSync(context.Background(),
		&kgo.Record{Topic: b.names.State, Partition: 0, Key: []byte("o-bad"), Value: []byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}}).FirstErr())
	p, stop := b.start("a")
	defer stop()
	b.send(command("o-bad", order.CreateOrder{CustomerID: "c", Currency: "USD"}))
	time.Sleep(2 * time.Second)
	assert.False(t, p.Ready(), "a member whose restore fails is not ready")

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ConsumeTopics(b.names.Results),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	assert.Zero(t, cl.PollFetches(ctx).NumRecords(), "no command was decided without its order's state")
}
