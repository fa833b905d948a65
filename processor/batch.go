package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// Headers the processor writes.
const (
	HeaderEventType     = "event-type"
	HeaderCorrelationID = "correlation-id"
	HeaderCausationID   = "causation-id"
	HeaderCommandType   = "command-type"
	HeaderStatus        = "status"
	HeaderDLQError      = "dlq-error"
	HeaderDLQTopic      = "dlq-source-topic"
	HeaderDLQPartition  = "dlq-source-partition"
	HeaderDLQOffset     = "dlq-source-offset"
	HeaderDLQTime       = "dlq-time"
	HeaderReroutedFrom  = "rerouted-from-partition"
)

// Serdes are the codecs of the processor's topics.
type Serdes struct {
	Commands *schemas.Serde[order.Command]
	Events   *schemas.Serde[order.Event]
	Results  *schemas.Serde[order.CommandResult]
	States   *schemas.Serde[order.State]
}

// handler turns command records into output records; it holds no Kafka
// client, so batches can be tested without a broker.
type handler struct {
	decider     order.Decider
	serdes      Serdes
	topics      topics.Names
	partitionOf func(key []byte) int32
	stores      *stores
	log         *slog.Logger
	metrics     *Metrics
	now         func() time.Time
}

type orderKey struct {
	partition int32
	orderID   string
}

// batch is the work of one transaction: the records to produce and the state
// changes to apply to the stores once it commits.
type batch struct {
	h       *handler
	overlay map[orderKey]order.State
	touched []orderKey
	out     []*kgo.Record
	counts  map[string]int   // outcome -> commands
	gens    map[int32]uint64 // the assignment of each partition the batch decided from
}

func (h *handler) newBatch() *batch {
	return &batch{h: h, overlay: map[orderKey]order.State{}, counts: map[string]int{}, gens: map[int32]uint64{}}
}

// errNotRestored means a command arrived for a partition whose store is not
// ready; the batch must be aborted and polled again.
var errNotRestored = errors.New("partition not restored")

// add handles one command record. An error aborts the whole batch.
func (b *batch) add(r *kgo.Record) error {
	h := b.h
	if len(r.Key) == 0 {
		b.deadLetter(r, "the record has no key; commands are keyed by orderId")
		return nil
	}
	cmd, err := schemas.DecodeCommand(r.Value, h.serdes.Commands)
	if errors.Is(err, schemas.ErrRegistryUnavailable) {
		return fmt.Errorf("command at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err) // abort and retry
	}
	if err != nil {
		b.deadLetter(r, err.Error())
		return nil
	}
	if string(r.Key) != cmd.OrderID {
		b.deadLetter(r, fmt.Sprintf("the record key %q is not the command's orderId %q", r.Key, cmd.OrderID))
		return nil
	}
	if want := h.partitionOf(r.Key); want != r.Partition {
		b.reroute(r, want)
		return nil
	}
	cmd.Time = r.Timestamp.UTC().Truncate(time.Millisecond)
	store, gen, ok := h.stores.getGen(r.Partition)
	if !ok {
		return fmt.Errorf("command at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, errNotRestored)
	}
	if g, seen := b.gens[r.Partition]; seen && g != gen {
		return fmt.Errorf("command at %s/%d@%d: the partition was reassigned during the batch: %w", r.Topic, r.Partition, r.Offset, errNotRestored)
	}
	b.gens[r.Partition] = gen
	key := orderKey{r.Partition, cmd.OrderID}
	state, seen := b.overlay[key]
	if !seen {
		state, _ = store.Get(cmd.OrderID)
	}
	start := time.Now()
	events, derr := h.decider.Decide(state, cmd)
	h.metrics.decide.Observe(time.Since(start).Seconds())
	result := order.ResultOf(cmd, state.Version, events, derr)
	b.counts[string(result.Status)]++
	h.metrics.commands.WithLabelValues(string(cmd.Type), string(result.Status)).Inc()
	if derr != nil {
		h.log.Debug("command not applied", "orderId", cmd.OrderID, "commandId", cmd.ID, "correlationId", cmd.CorrelationID,
			"type", cmd.Type, "status", result.Status, "code", result.Code, "reason", result.Message)
	}
	for _, e := range events {
		state = order.Evolve(state, e)
		if err := b.event(r, e); err != nil {
			return err
		}
	}
	if len(events) > 0 {
		if !seen {
			b.touched = append(b.touched, key)
		}
		b.overlay[key] = state
	}
	return b.result(r, result)
}

func (b *batch) event(src *kgo.Record, e order.Event) error {
	v, err := b.h.serdes.Events.Encode(e)
	if err != nil {
		return fmt.Errorf("order %s event %d: %w", e.OrderID, e.Seq, err)
	}
	b.out = append(b.out, &kgo.Record{
		Topic: b.h.topics.Events, Partition: src.Partition, Key: src.Key, Value: v, Timestamp: e.Time,
		Headers: []kgo.RecordHeader{
			{Key: HeaderEventType, Value: []byte(e.Type)},
			{Key: HeaderCorrelationID, Value: []byte(e.CorrelationID)},
			{Key: HeaderCausationID, Value: []byte(e.CausationID)},
		},
	})
	return nil
}

func (b *batch) result(src *kgo.Record, res order.CommandResult) error {
	v, err := b.h.serdes.Results.Encode(res)
	if err != nil {
		return fmt.Errorf("result of command %s: %w", res.CommandID, err)
	}
	b.out = append(b.out, &kgo.Record{
		Topic: b.h.topics.Results, Partition: src.Partition, Key: src.Key, Value: v, Timestamp: res.Time,
		Headers: []kgo.RecordHeader{
			{Key: HeaderCommandType, Value: []byte(res.CommandType)},
			{Key: HeaderStatus, Value: []byte(res.Status)},
			{Key: HeaderCorrelationID, Value: []byte(res.CorrelationID)},
		},
	})
	return nil
}

// deadLetter sends the original bytes to the DLQ with the reason and where
// they came from.
func (b *batch) deadLetter(r *kgo.Record, reason string) {
	b.counts["DEAD_LETTERED"]++
	b.h.metrics.dlq.Inc()
	b.h.log.Warn("command dead-lettered", "partition", r.Partition, "offset", r.Offset, "key", string(r.Key), "reason", reason)
	headers := append([]kgo.RecordHeader(nil), r.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderDLQError, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderDLQTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderDLQPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: HeaderDLQTime, Value: []byte(b.h.now().UTC().Format(time.RFC3339Nano))},
	)
	b.out = append(b.out, &kgo.Record{Topic: b.h.topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value,
		Timestamp: r.Timestamp, Headers: headers})
}

// reroute re-produces a command that arrived on the wrong partition onto the
// partition of its order, so that one member owns every order's state.
func (b *batch) reroute(r *kgo.Record, to int32) {
	b.counts["REROUTED"]++
	b.h.metrics.rerouted.Inc()
	headers := append(append([]kgo.RecordHeader(nil), r.Headers...),
		kgo.RecordHeader{Key: HeaderReroutedFrom, Value: []byte(strconv.Itoa(int(r.Partition)))})
	b.out = append(b.out, &kgo.Record{Topic: r.Topic, Partition: to, Key: r.Key, Value: r.Value,
		Timestamp: r.Timestamp, Headers: headers})
}

// finish appends one state record per changed order, and returns every
// record to produce.
func (b *batch) finish() ([]*kgo.Record, error) {
	for _, k := range b.touched {
		st := b.overlay[k]
		v, err := b.h.serdes.States.Encode(st)
		if err != nil {
			return nil, fmt.Errorf("state of order %s: %w", k.orderID, err)
		}
		b.out = append(b.out, &kgo.Record{Topic: b.h.topics.State, Partition: k.partition, Key: []byte(k.orderID),
			Value: v, Timestamp: st.UpdatedAt})
	}
	return b.out, nil
}

// apply writes the batch's states into the stores after a commit. A
// partition lost meanwhile has no store and is skipped: its next owner
// restores it from order.state.
func (b *batch) apply() {
	for _, k := range b.touched {
		// Only into the store the batch decided from: if the partition
		// was lost and assigned again since, its new store was restored
		// from order.state, which already holds these states or newer.
		if st, gen, ok := b.h.stores.getGen(k.partition); ok && gen == b.gens[k.partition] {
			st.Put(k.orderID, b.overlay[k])
		}
	}
}

// NewSerdes builds the codecs of the processor's topics. optsFor gives the
// schemas options of a topic's values (a registry subject "<topic>-value",
// say); nil means single-object encoding everywhere.
func NewSerdes(ctx context.Context, names topics.Names, optsFor func(topic string) []schemas.Option) (Serdes, error) {
	if optsFor == nil {
		optsFor = func(string) []schemas.Option { return nil }
	}
	var s Serdes
	var err error
	if s.Commands, err = schemas.NewCommands(ctx, optsFor(names.Commands)...); err != nil {
		return s, err
	}
	if s.Events, err = schemas.NewEvents(ctx, optsFor(names.Events)...); err != nil {
		return s, err
	}
	if s.Results, err = schemas.NewResults(ctx, optsFor(names.Results)...); err != nil {
		return s, err
	}
	s.States, err = schemas.NewStates(ctx, optsFor(names.State)...)
	return s, err
}
