package processor

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// Topology is the processor as a binding of the runtime: commands from
// order.commands, decoded as Avro or JSON, decided by order.Decider.Handle (rules, limits, lifelong dedup) against
// the order's state from order.state, written as events to order.events and
// a result to order.command-results; poison to order.commands.dlq. A
// command whose records would not fit in Kafka is rejected with
// LIMIT_EXCEEDED and changes nothing.
func Topology(t topics.Names, s Serdes, pol order.Policy, m *Metrics) stream.Topology[order.State, order.Command] {
	if m == nil {
		m = NewMetrics(nil)
	}
	b := binding{decider: order.Decider{Policy: pol}, serdes: s, topics: t, metrics: m}
	return stream.Topology[order.State, order.Command]{
		Name:        "processor",
		Inputs:      []stream.Input[order.Command]{{Topic: t.Commands, Decode: b.decode}},
		Handle:      b.handle,
		State:       stream.Changelog[order.State]{Topic: t.State, Encode: s.States.Encode, Decode: s.States.Decode, Decoded: DefaultDecodedStates},
		Outputs:     []string{t.Events, t.Results},
		DeadLetters: t.DLQ,
		Refuse:      b.refuse,
	}
}

type binding struct {
	decider order.Decider
	serdes  Serdes
	topics  topics.Names
	metrics *Metrics
}

// decode reads a command: Avro or JSON, its orderId the record's key, its
// time the record's.
func (b binding) decode(r *kgo.Record) (order.Command, error) {
	cmd, err := schemas.DecodeCommand(r.Value, b.serdes.Commands)
	if errors.Is(err, schemas.ErrRegistryUnavailable) {
		return cmd, stream.Retry(err)
	}
	if err != nil {
		return cmd, err
	}
	if string(r.Key) != cmd.OrderID {
		return cmd, fmt.Errorf("the record key %q is not the command's orderId %q", clip(string(r.Key)), clip(cmd.OrderID))
	}
	cmd.Time = r.Timestamp.UTC().Truncate(time.Millisecond)
	return cmd, nil
}

func (b binding) handle(m stream.Msg[order.Command], st order.State) (stream.Out[order.State], error) {
	start := time.Now()
	next, events, res := b.decider.Handle(st, m.Input)
	b.metrics.decide.Observe(time.Since(start).Seconds())
	// Handle remembers every command id the order handled, rejections
	// included, so the state changes for a rejection too (order.Changed).
	out := stream.Out[order.State]{State: next, Save: order.Changed(st, next), Records: make([]stream.Record, 0, len(events)+1)}
	// One command's events share their correlation and causation ids, and
	// kgo only reads header values: one copy of each serves them all.
	var hdrs []kgo.RecordHeader
	var corr, caus []byte
	if len(events) > 0 {
		hdrs = make([]kgo.RecordHeader, 0, 3*len(events))
		corr, caus = []byte(events[0].CorrelationID), []byte(events[0].CausationID)
	}
	for _, e := range events {
		v, err := b.serdes.Events.Encode(e)
		if err != nil {
			return out, fmt.Errorf("order %s event %d: %w", e.OrderID, e.Seq, err)
		}
		if string(corr) != e.CorrelationID || string(caus) != e.CausationID {
			corr, caus = []byte(e.CorrelationID), []byte(e.CausationID)
		}
		n := len(hdrs)
		hdrs = append(hdrs,
			kgo.RecordHeader{Key: topics.HeaderEventType, Value: eventTypeBytes(e.Type)},
			kgo.RecordHeader{Key: topics.HeaderCorrelationID, Value: corr},
			kgo.RecordHeader{Key: topics.HeaderCausationID, Value: caus})
		out.Records = append(out.Records, stream.Record{Topic: b.topics.Events, Value: v, Time: e.Time, Headers: hdrs[n:len(hdrs):len(hdrs)]})
	}
	return b.answer(out, res)
}

// eventTypeNames holds every event type's name as bytes, for headers.
var eventTypeNames = func() map[order.EventType][]byte {
	m := map[order.EventType][]byte{}
	for _, t := range order.EventTypes() {
		m[t] = []byte(t)
	}
	return m
}()

func eventTypeBytes(t order.EventType) []byte {
	if b, ok := eventTypeNames[t]; ok {
		return b
	}
	return []byte(t)
}

// refuse answers a command whose outputs would not fit in Kafka: rejected
// with LIMIT_EXCEEDED, nothing emitted, the state unchanged.
func (b binding) refuse(m stream.Msg[order.Command], st order.State, why error) (stream.Out[order.State], error) {
	rej := &order.Rejection{Code: order.CodeLimitExceeded, Message: clip("the command's records cannot be written to Kafka: " + why.Error())}
	return b.answer(stream.Out[order.State]{State: st}, order.ResultOf(m.Input, st.Version, nil, rej))
}

// answer adds the command's result to out.
func (b binding) answer(out stream.Out[order.State], res order.CommandResult) (stream.Out[order.State], error) {
	v, err := b.serdes.Results.Encode(res)
	if err != nil {
		return out, fmt.Errorf("result of command %s: %w", clip(res.CommandID), err)
	}
	out.Records = append(out.Records, stream.Record{Topic: b.topics.Results, Value: v, Time: res.Time,
		Headers: []kgo.RecordHeader{
			{Key: topics.HeaderCommandType, Value: []byte(res.CommandType)},
			{Key: topics.HeaderStatus, Value: []byte(res.Status)},
			{Key: topics.HeaderCorrelationID, Value: []byte(res.CorrelationID)},
		}})
	out.After = append(out.After, b.metrics.answered(res.CommandType, res.Status))
	return out, nil
}

// clip bounds text copied from a command into a message, never cutting a
// character in half.
func clip(s string) string {
	const n = 500
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + fmt.Sprintf("…(%d bytes)", len(s))
}
