package stream

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Topology is one binding of the runtime: what it reads, how it decides,
// where its state lives and what it writes. S is the state of one key, I a
// decoded input record.
type Topology[S, I any] struct {
	// Name is the role: it names logs ("role") and metrics
	// (orderlog_<Name>_...).
	Name string
	// Inputs are the topics read, each with its codec. They are
	// co-partitioned and keyed: every record of key k is on partition
	// murmur2(k) of its topic, and partition p of every input belongs to
	// the member that owns partition p of the changelog.
	Inputs []Input[I]
	// Handle decides one input (or a due timer) against its key's state.
	Handle Handler[S, I]
	// State is the compacted changelog of the states.
	State Changelog[S]
	// Outputs are the topics Handle may write to, besides the changelog.
	Outputs []string
	// DeadLetters is the topic of inputs that cannot be handled.
	DeadLetters string
	// Due, when set, says when a state's next timer is due: the runtime
	// calls Handle with a timer message (Msg.Record nil) once it is.
	Due func(S) (time.Time, bool)
	// Refuse, when set, answers an input whose outputs would not fit in
	// Kafka (err says which and by how much) with outputs that change
	// nothing, such as a rejection. Without it, or when its answer does not
	// fit either, the input is dead-lettered.
	Refuse func(m Msg[I], st S, err error) (Out[S], error)
}

// Input is one input topic and its codec.
type Input[I any] struct {
	Topic string
	// Decode reads a record. An error makes the record a dead letter with
	// the error as its reason, unless it is marked Retry (a registry that
	// cannot be reached): then the batch is aborted and polled again.
	Decode func(r *kgo.Record) (I, error)
}

// Changelog is the compacted topic of the states and its codec. Keys are
// the input keys; a nil value (a tombstone) deletes a key's state.
type Changelog[S any] struct {
	Topic  string
	Encode func(S) ([]byte, error)
	Decode func([]byte) (S, error)
	// Decoded, when positive, keeps every state of a partition as its
	// changelog record encodes it, and at most Decoded of them decoded
	// too, those used last: a restore copies records without decoding
	// them, and a state is decoded when a batch first needs it. Zero
	// keeps every state decoded, and no bytes. A topology with timers
	// keeps its states decoded (its due times are read from them).
	Decoded int
}

// Handler decides one message against the state of its key (the zero S
// when the key has none) and says what to write. It must be pure: it may be
// called again for the same input (an aborted transaction, an isolated
// record) and only Out.After runs effects, once the transaction committed.
// An error marked Retry aborts the batch; any other error dead-letters the
// input with the error as its reason.
type Handler[S, I any] func(m Msg[I], st S) (Out[S], error)

// Msg is what a handler is given.
type Msg[I any] struct {
	Key       string
	Partition int32
	Input     I
	// Record is the input record; nil for a timer that came due.
	Record *kgo.Record
	// Now is the runtime's clock at the start of the batch.
	Now time.Time
}

// Timer reports whether m is a due timer rather than a record.
func (m Msg[I]) Timer() bool { return m.Record == nil }

// Out is what a handler decided.
type Out[S any] struct {
	// State is the key's new state, written to the changelog when Save.
	State S
	Save  bool
	// Forget deletes the key's state (a tombstone on the changelog).
	Forget bool
	// Records go to the partition of the input's key on their topics.
	Records []Record
	// After runs once the transaction that holds these outputs committed
	// (metrics, circuit breakers). Never for an aborted one.
	After []func()
}

// Record is one output record; its key is the message's key.
type Record struct {
	Topic   string
	Value   []byte
	Headers []kgo.RecordHeader
	// Time stamps the record; zero means the wall clock.
	Time time.Time
}

// retryError marks an error that a later attempt may not meet.
type retryError struct{ err error }

func (e retryError) Error() string { return e.err.Error() }
func (e retryError) Unwrap() error { return e.err }

// Retry marks err as one that a later attempt can cure (a schema registry
// down): the batch is aborted and polled again, after a pause.
func Retry(err error) error {
	if err == nil {
		return nil
	}
	return retryError{err}
}

// IsRetry reports whether err was marked by Retry.
func IsRetry(err error) bool {
	if err == nil {
		return false
	}
	var r retryError
	return errors.As(err, &r)
}

// TooLargeError says that an output record does not fit its topic.
type TooLargeError struct {
	Topic string
	What  string // "value of the state record", "event record", ...
	Size  int
	Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s for topic %s would be %d bytes, the topic and producer take at most %d", e.What, e.Topic, e.Size, e.Limit)
}
