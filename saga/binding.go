package saga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// Topology is the saga as a binding of the runtime: order.events, the
// outside systems' results and the order's answers to the saga's own
// commands (order.command-results), reacted to by fulfillment.Policy.React with
// the order's saga state from order.saga-state (its timers fire when due),
// writing commands, requests and notifications; unreadable records to the
// dead-letter topic. open says whether a system's circuit breaker is open;
// observe feeds it an answer or a missing one, once the transaction
// committed.
func Topology(cfg Config, open func(integration.System) bool, observe func(integration.System, bool)) stream.Topology[fulfillment.State, fulfillment.Input] {
	t, sd := cfg.Topics, cfg.Serdes
	b := binding{cfg: cfg, log: cfg.Logger.With("role", "saga"), open: open, observe: observe}
	return stream.Topology[fulfillment.State, fulfillment.Input]{
		Name: "saga",
		Inputs: []stream.Input[fulfillment.Input]{
			{Topic: t.Events, Decode: decoder("event", sd.Events.Decode, func(in *fulfillment.Input, v any) { in.Event = v.(*order.Event) })},
			{Topic: t.PaymentResults, Decode: decoder("payment", sd.PaymentRes.Decode, func(in *fulfillment.Input, v any) { in.Payment = v.(*integration.PaymentResult) })},
			{Topic: t.InventoryResults, Decode: decoder("inventory", sd.InventoryRes.Decode, func(in *fulfillment.Input, v any) { in.Inventory = v.(*integration.InventoryResult) })},
			{Topic: t.ShippingResults, Decode: decoder("shipping", sd.ShippingRes.Decode, func(in *fulfillment.Input, v any) { in.Shipping = v.(*integration.ShippingResult) })},
			{Topic: t.Results, Decode: decoder("command result", sd.Results.Decode, func(in *fulfillment.Input, v any) { in.Result = v.(*order.CommandResult) })},
		},
		Handle:      b.handle,
		State:       stream.Changelog[fulfillment.State]{Topic: t.SagaState, Encode: sd.States.Encode, Decode: sd.States.Decode},
		Outputs:     []string{t.Commands, t.PaymentRequests, t.InventoryRequests, t.ShippingRequests, t.NotificationRequests},
		DeadLetters: t.DLQ,
		Due:         fulfillment.State.NextDue,
	}
}

// decoder reads one input topic's records into its field of the input.
func decoder[T any](kind string, decode func([]byte) (T, error), set func(*fulfillment.Input, any)) func(*kgo.Record) (fulfillment.Input, error) {
	return func(r *kgo.Record) (fulfillment.Input, error) {
		var in fulfillment.Input
		v, err := decode(r.Value)
		if errors.Is(err, schemas.ErrRegistryUnavailable) {
			return in, stream.Retry(err)
		}
		if err != nil {
			return in, fmt.Errorf("cannot read %s record: %w", kind, err)
		}
		set(&in, &v)
		return in, nil
	}
}

type binding struct {
	cfg     Config
	log     *slog.Logger
	open    func(integration.System) bool
	observe func(integration.System, bool)
}

func (b binding) handle(m stream.Msg[fulfillment.Input], st fulfillment.State) (stream.Out[fulfillment.State], error) {
	met := b.cfg.Metrics
	var out stream.Out[fulfillment.State]
	if res := m.Input.Result; res != nil && (!fulfillment.Concerns(*res) || st.OrderID == "") {
		// Another sender's command, or an answer that needs nothing: the
		// state stays as it is, unwritten.
		return stream.Out[fulfillment.State]{State: st}, nil
	}
	if m.Timer() {
		due, _ := st.NextDue()
		b.log.Debug("durable timer due", "orderId", m.Key, "correlationId", st.CorrelationID, "due", due, "step", st.Step)
		out.After = append(out.After, met.timers.Inc)
	} else {
		out.After = append(out.After, met.inputs.WithLabelValues(kindOf(m.Input)).Inc)
	}
	next, outs := b.cfg.Policy.React(st, m.Input, fulfillment.Env{Now: m.Now, Open: b.open})
	if next.OrderID == "" {
		next.OrderID = m.Key
	}
	out.State, out.Save = next, true
	for _, o := range outs {
		if o.Forget {
			out.State, out.Save, out.Forget = fulfillment.State{}, false, true
			continue
		}
		if o.Refusal != nil {
			out.After = append(out.After, b.refused(*o.Refusal, next))
			continue
		}
		if o.Observed != nil {
			obs := *o.Observed
			out.After = append(out.After, func() { b.observe(obs.System, obs.OK) })
			continue
		}
		r, kind, err := b.record(o)
		if err != nil {
			return out, fmt.Errorf("saga: encode %s for order %s: %w", kind, m.Key, err)
		}
		if kind != "" {
			out.Records = append(out.Records, r)
			out.After = append(out.After, met.outputs.WithLabelValues(kind).Inc)
		}
	}
	return out, nil
}

// refused returns, for after the commit, the log line and the metric of a
// rejection of one of the saga's commands and what the saga did about it.
// version is the order's when it refused; judgedAtVersion the saga's view
// of the order it was judged on (behind only when too many waited).
func (b binding) refused(f fulfillment.Refusal, st fulfillment.State) func() {
	res := f.Result
	level := slog.LevelWarn
	if f.Action == fulfillment.RejectionIgnored {
		level = slog.LevelInfo // the cancellation path explains and compensates it
	}
	inc := b.cfg.Metrics.rejections.WithLabelValues(string(res.CommandType), string(res.Code), string(f.Action)).Inc
	return func() {
		b.log.Log(context.Background(), level, "the order refused a saga command",
			"orderId", res.OrderID, "commandId", res.CommandID, "correlationId", res.CorrelationID,
			"commandType", res.CommandType, "code", res.Code, "field", res.Field, "message", res.Message,
			"version", res.Version, "judgedAtVersion", f.ViewVersion, "orderStatus", st.Order.Status, "sagaStep", st.Step,
			"step", f.Step, "action", f.Action)
		inc()
	}
}

func kindOf(in fulfillment.Input) string {
	switch {
	case in.Event != nil:
		return "event"
	case in.Payment != nil:
		return "payment"
	case in.Inventory != nil:
		return "inventory"
	case in.Shipping != nil:
		return "shipping"
	case in.Result != nil:
		return "result"
	}
	return "tick"
}

// record encodes one output; kind "" means it is no record.
func (b binding) record(o fulfillment.Output) (stream.Record, string, error) {
	t, sd := b.cfg.Topics, b.cfg.Serdes
	var r stream.Record
	var kind string
	var err error
	switch {
	case o.Command != nil:
		r.Topic, kind = t.Commands, "command"
		b.log.Debug("saga command", "orderId", o.Command.OrderID, "commandId", o.Command.ID,
			"correlationId", o.Command.CorrelationID, "type", o.Command.Type)
		r.Value, err = sd.Commands.Encode(*o.Command)
		r.Headers = []kgo.RecordHeader{{Key: topics.HeaderCommandType, Value: []byte(o.Command.Type)},
			{Key: topics.HeaderCorrelationID, Value: []byte(o.Command.CorrelationID)}}
	case o.Payment != nil:
		r.Topic, kind = t.PaymentRequests, "payment"
		r.Value, err = sd.PaymentReq.Encode(*o.Payment)
	case o.Inventory != nil:
		r.Topic, kind = t.InventoryRequests, "inventory"
		r.Value, err = sd.InventoryReq.Encode(*o.Inventory)
	case o.Shipping != nil:
		r.Topic, kind = t.ShippingRequests, "shipping"
		r.Value, err = sd.ShippingReq.Encode(*o.Shipping)
	case o.Notification != nil:
		r.Topic, kind = t.NotificationRequests, "notification"
		r.Value, err = sd.Notifications.Encode(*o.Notification)
	}
	return r, kind, err
}
