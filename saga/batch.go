package saga

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/processor"
)

// batch is the work of one transaction.
type batch struct {
	s        *Saga
	now      time.Time
	overlay  map[key]fulfillment.State
	forget   map[key]bool    // states to delete (a tombstone) instead of write
	tokens   map[int32]*part // the assignment of each partition the batch read from
	touched  []key
	out      []*kgo.Record
	observed []fulfillment.Observation
	inputs   map[string]int
	outputs  map[string]int
	ticks    int
	err      error
}

func (s *Saga) newBatch(now time.Time) *batch {
	return &batch{s: s, now: now, overlay: map[key]fulfillment.State{}, forget: map[key]bool{}, tokens: map[int32]*part{},
		inputs: map[string]int{}, outputs: map[string]int{}}
}

// record reacts to one consumed record.
func (b *batch) record(r *kgo.Record) {
	if b.err != nil {
		return
	}
	t := b.s.cfg.Topics
	if len(r.Key) == 0 {
		b.deadLetter(r, "record has no key; saga inputs are keyed by orderId")
		return
	}
	if want := b.s.partitionOf(r.Key); want != r.Partition {
		// A result produced with another partitioner: put it where its
		// order lives, for the member that owns that partition.
		b.out = append(b.out, &kgo.Record{Topic: r.Topic, Partition: want, Key: r.Key, Value: r.Value,
			Timestamp: r.Timestamp, Headers: append(append([]kgo.RecordHeader(nil), r.Headers...),
				kgo.RecordHeader{Key: processor.HeaderReroutedFrom, Value: []byte(strconv.Itoa(int(r.Partition)))})})
		return
	}
	var in fulfillment.Input
	var kind string
	var err error
	switch r.Topic {
	case t.Events:
		kind = "event"
		e, derr := b.s.cfg.Serdes.Events.Decode(r.Value)
		in.Event, err = &e, derr
	case t.PaymentResults:
		kind = "payment"
		v, derr := b.s.cfg.Serdes.PaymentRes.Decode(r.Value)
		in.Payment, err = &v, derr
	case t.InventoryResults:
		kind = "inventory"
		v, derr := b.s.cfg.Serdes.InventoryRes.Decode(r.Value)
		in.Inventory, err = &v, derr
	case t.ShippingResults:
		kind = "shipping"
		v, derr := b.s.cfg.Serdes.ShippingRes.Decode(r.Value)
		in.Shipping, err = &v, derr
	default:
		return
	}
	if err != nil {
		b.deadLetter(r, fmt.Sprintf("cannot read %s record: %v", kind, err))
		return
	}
	b.inputs[kind]++
	b.react(key{r.Partition, string(r.Key)}, in)
}

// tick fires the due timers of one order.
func (b *batch) tick(k key) {
	if b.err != nil {
		return
	}
	st := b.state(k)
	due, ok := st.NextDue()
	if !ok || due.After(b.now) {
		return // a record of this batch moved or cleared the timer
	}
	b.ticks++
	b.s.log.Debug("durable timer due", "orderId", k.orderID, "correlationId", st.CorrelationID, "due", due, "step", st.Step)
	b.react(k, fulfillment.Input{})
}

func (b *batch) state(k key) fulfillment.State {
	if st, ok := b.overlay[k]; ok {
		return st
	}
	if _, ok := b.tokens[k.partition]; !ok {
		b.tokens[k.partition] = b.s.stores.token(k.partition)
	}
	st, _ := b.s.stores.get(k)
	return st
}

func (b *batch) react(k key, in fulfillment.Input) {
	st, outs := b.s.cfg.Policy.React(b.state(k), in, b.s.env(b.now))
	if st.OrderID == "" {
		st.OrderID = k.orderID
	}
	if _, seen := b.overlay[k]; !seen {
		b.touched = append(b.touched, k)
	}
	b.overlay[k] = st
	delete(b.forget, k)
	for _, o := range outs {
		if o.Forget {
			b.overlay[k] = fulfillment.State{}
			b.forget[k] = true
			continue
		}
		if err := b.output(k, o); err != nil {
			b.err = err
			return
		}
	}
}

func (b *batch) output(k key, o fulfillment.Output) error {
	t, sd := b.s.cfg.Topics, b.s.cfg.Serdes
	var topic, kind string
	var v []byte
	var err error
	headers := []kgo.RecordHeader{}
	switch {
	case o.Observed != nil:
		b.observed = append(b.observed, *o.Observed)
		return nil
	case o.Command != nil:
		topic, kind = t.Commands, "command"
		b.s.log.Debug("saga command", "orderId", o.Command.OrderID, "commandId", o.Command.ID,
			"correlationId", o.Command.CorrelationID, "type", o.Command.Type)
		v, err = sd.Commands.Encode(*o.Command)
		headers = append(headers, kgo.RecordHeader{Key: processor.HeaderCommandType, Value: []byte(o.Command.Type)},
			kgo.RecordHeader{Key: processor.HeaderCorrelationID, Value: []byte(o.Command.CorrelationID)})
	case o.Payment != nil:
		topic, kind = t.PaymentRequests, "payment"
		v, err = sd.PaymentReq.Encode(*o.Payment)
	case o.Inventory != nil:
		topic, kind = t.InventoryRequests, "inventory"
		v, err = sd.InventoryReq.Encode(*o.Inventory)
	case o.Shipping != nil:
		topic, kind = t.ShippingRequests, "shipping"
		v, err = sd.ShippingReq.Encode(*o.Shipping)
	case o.Notification != nil:
		topic, kind = t.NotificationRequests, "notification"
		v, err = sd.Notifications.Encode(*o.Notification)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("saga: encode %s for order %s: %w", kind, k.orderID, err)
	}
	b.outputs[kind]++
	b.out = append(b.out, &kgo.Record{Topic: topic, Partition: k.partition, Key: []byte(k.orderID), Value: v,
		Timestamp: wallClock(), Headers: headers})
	return nil
}

func (b *batch) deadLetter(r *kgo.Record, reason string) {
	b.s.metrics.dlq.Inc()
	b.s.log.Warn("saga input sent to the dead-letter topic", "topic", r.Topic, "partition", r.Partition,
		"offset", r.Offset, "reason", reason)
	headers := append(append([]kgo.RecordHeader(nil), r.Headers...),
		kgo.RecordHeader{Key: processor.HeaderDLQError, Value: []byte(reason)},
		kgo.RecordHeader{Key: processor.HeaderDLQTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: processor.HeaderDLQPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: processor.HeaderDLQOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: processor.HeaderDLQTime, Value: []byte(b.now.UTC().Format(time.RFC3339Nano))},
	)
	b.out = append(b.out, &kgo.Record{Topic: b.s.cfg.Topics.DLQ, Partition: r.Partition, Key: r.Key, Value: r.Value,
		Timestamp: r.Timestamp, Headers: headers})
}

// wallClock stamps the records the saga writes. It is the real time, never
// Config.Now: the saga's clock may be moved (tests) and the broker refuses
// timestamps far from its own (message.timestamp.after.max.ms, 1 h by
// default since Kafka 4).
func wallClock() time.Time { return time.Now() }

// finish appends the new saga state of every order the batch touched.
func (b *batch) finish() ([]*kgo.Record, error) {
	if b.err != nil {
		return nil, b.err
	}
	for _, k := range b.touched {
		if b.forget[k] {
			b.out = append(b.out, &kgo.Record{Topic: b.s.cfg.Topics.SagaState, Partition: k.partition, Key: []byte(k.orderID),
				Timestamp: wallClock()}) // a tombstone: compaction removes the order's saga state
			continue
		}
		v, err := b.s.cfg.Serdes.States.Encode(b.overlay[k])
		if err != nil {
			return nil, fmt.Errorf("saga: encode state of order %s: %w", k.orderID, err)
		}
		b.out = append(b.out, &kgo.Record{Topic: b.s.cfg.Topics.SagaState, Partition: k.partition, Key: []byte(k.orderID),
			Value: v, Timestamp: wallClock()})
	}
	return b.out, nil
}

// apply makes the committed batch the member's state.
func (b *batch) apply() {
	for _, k := range b.touched {
		// Only into the assignment the batch read from: a partition lost
		// and assigned again meanwhile was restored from order.saga-state.
		tok := b.tokens[k.partition]
		if tok == nil {
			continue
		}
		if b.forget[k] {
			b.s.stores.removeIf(k, tok)
			b.s.log.Debug("saga state forgotten", "orderId", k.orderID)
			continue
		}
		b.s.stores.putIf(k, b.overlay[k], tok)
	}
	for _, o := range b.observed {
		b.s.breakers.observe(o.System, o.OK)
	}
	for kind, n := range b.inputs {
		b.s.metrics.inputs.WithLabelValues(kind).Add(float64(n))
	}
	for kind, n := range b.outputs {
		b.s.metrics.outputs.WithLabelValues(kind).Add(float64(n))
	}
	b.s.metrics.timers.Add(float64(b.ticks))
}
