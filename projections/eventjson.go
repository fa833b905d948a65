package projections

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/orderlog/orderlog/order"
)

// The per-order event index stores each event as the JSON of order.Event:
// seed 000's envelope (id, orderId, eventType, sequenceNumber, timestamp,
// data, metadata, userId, serviceId, correlationId, causationId).

var eventDataTypes = func() map[order.EventType]reflect.Type {
	m := map[order.EventType]reflect.Type{}
	for _, d := range order.EventSamples() {
		m[d.EventType()] = reflect.TypeOf(d)
	}
	return m
}()

// jsonEvent is order.Event with the payload left raw, to be decoded by type.
type jsonEvent struct {
	ID            string            `json:"id"`
	OrderID       string            `json:"orderId"`
	Type          order.EventType   `json:"eventType"`
	Seq           int64             `json:"sequenceNumber"`
	Time          time.Time         `json:"timestamp"`
	Data          json.RawMessage   `json:"data"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	UserID        string            `json:"userId,omitempty"`
	ServiceID     string            `json:"serviceId,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	CausationID   string            `json:"causationId,omitempty"`
}

// DecodeEventJSON reads an event as the event index stores it.
func DecodeEventJSON(b []byte) (order.Event, error) {
	var je jsonEvent
	if err := json.Unmarshal(b, &je); err != nil {
		return order.Event{}, fmt.Errorf("event JSON: %w", err)
	}
	t, ok := eventDataTypes[je.Type]
	if !ok {
		return order.Event{}, fmt.Errorf("event JSON: unknown event type %q", je.Type)
	}
	ptr := reflect.New(t)
	if err := json.Unmarshal(je.Data, ptr.Interface()); err != nil {
		return order.Event{}, fmt.Errorf("event JSON: data of %s: %w", je.Type, err)
	}
	return order.Event{
		ID: je.ID, OrderID: je.OrderID, Type: je.Type, Seq: je.Seq, Time: je.Time,
		Data: ptr.Elem().Interface().(order.EventData), Metadata: je.Metadata, UserID: je.UserID,
		ServiceID: je.ServiceID, CorrelationID: je.CorrelationID, CausationID: je.CausationID,
	}, nil
}
