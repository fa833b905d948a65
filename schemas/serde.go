package schemas

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/internal/avrostruct"
	"github.com/orderlog/orderlog/order"
)

// ErrFraming is returned (wrapped) for bytes that are neither Avro
// single-object encoded nor in the Confluent wire format.
var ErrFraming = errors.New("not Avro single-object or Confluent framed")

// ErrUnknownSchema is returned (wrapped) when the writer's schema cannot be
// found: an unknown fingerprint, or a registry id the registry does not know.
var ErrUnknownSchema = errors.New("unknown writer schema")

// version is one schema version: its codec and the mapper into Go types.
type version struct {
	codec  *goavro.Codec
	mapper *avrostruct.Mapper
}

// Serde encodes and decodes one kind of record. Without a registry it writes
// Avro single-object encoding (0xC3 0x01, CRC-64-AVRO fingerprint, body);
// with one, the Confluent wire format (0x00, 4-byte schema id, body). It
// reads both, and data written with any released version of the schema.
// A Serde is safe for concurrent use.
type Serde[T any] struct {
	kind    Kind
	current *version
	byFP    map[uint64]*version

	registry *sr.Client
	subject  string
	id       int // registry id of the current schema, 0 without registry
	mu       sync.RWMutex
	byID     map[int]*version
}

// Option configures a Serde.
type Option func(*options)

type options struct {
	registry *sr.Client
	subject  string
}

// WithRegistry makes the Serde register its schema under subject (Confluent
// TopicNameStrategy: "<topic>-value") and write the Confluent wire format.
func WithRegistry(cl *sr.Client, subject string) Option {
	return func(o *options) { o.registry, o.subject = cl, subject }
}

// NewEvents returns the Serde of order.events values.
func NewEvents(ctx context.Context, opts ...Option) (*Serde[order.Event], error) {
	return newSerde[order.Event](ctx, KindEvent, opts)
}

// NewCommands returns the Avro Serde of order.commands values; see
// DecodeCommand for the JSON form.
func NewCommands(ctx context.Context, opts ...Option) (*Serde[order.Command], error) {
	return newSerde[order.Command](ctx, KindCommand, opts)
}

// NewResults returns the Serde of order.command-results values.
func NewResults(ctx context.Context, opts ...Option) (*Serde[order.CommandResult], error) {
	return newSerde[order.CommandResult](ctx, KindResult, opts)
}

// NewStates returns the Serde of order.state values.
func NewStates(ctx context.Context, opts ...Option) (*Serde[order.State], error) {
	return newSerde[order.State](ctx, KindState, opts)
}

func unionTypes() []avrostruct.Option {
	var opts []avrostruct.Option
	for _, e := range order.EventSamples() {
		opts = append(opts, avrostruct.WithUnionType(Namespace+"."+typeName(e), e))
	}
	for _, c := range order.CommandSamples() {
		opts = append(opts, avrostruct.WithUnionType(Namespace+"."+typeName(c), c))
	}
	return opts
}

func newVersion(schema string) (*version, error) {
	codec, err := goavro.NewCodec(schema)
	if err != nil {
		return nil, fmt.Errorf("avro codec: %w", err)
	}
	m, err := avrostruct.New(schema, unionTypes()...)
	if err != nil {
		return nil, fmt.Errorf("avro mapper: %w", err)
	}
	return &version{codec: codec, mapper: m}, nil
}

func newSerde[T any](ctx context.Context, k Kind, opts []Option) (*Serde[T], error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	hist, err := History(k)
	if err != nil {
		return nil, err
	}
	s := &Serde[T]{kind: k, byFP: map[uint64]*version{}, byID: map[int]*version{}, registry: o.registry, subject: o.subject}
	for i, text := range hist {
		v, err := newVersion(text)
		if err != nil {
			return nil, fmt.Errorf("%s schema v%d: %w", k, i+1, err)
		}
		s.byFP[v.codec.Rabin] = v
		s.current = v
	}
	if s.registry != nil {
		id, err := s.registry.RegisterSchema(ctx, s.subject, sr.Schema{Schema: hist[len(hist)-1], Type: sr.TypeAvro}, -1, -1)
		if err != nil {
			return nil, fmt.Errorf("register %s schema under subject %q: %w", k, s.subject, err)
		}
		s.id = id
		s.byID[id] = s.current
	}
	return s, nil
}

// SchemaID is the registry id of the schema this Serde writes (0 without a
// registry).
func (s *Serde[T]) SchemaID() int { return s.id }

// Fingerprint is the CRC-64-AVRO fingerprint of the current schema.
func (s *Serde[T]) Fingerprint() uint64 { return s.current.codec.Rabin }

// Encode encodes v with the current schema.
func (s *Serde[T]) Encode(v T) ([]byte, error) { return s.AppendEncode(nil, v) }

// AppendEncode appends the encoding of v to dst.
func (s *Serde[T]) AppendEncode(dst []byte, v T) ([]byte, error) {
	native, err := s.current.mapper.ToNative(&v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", s.kind, err)
	}
	if s.id != 0 {
		dst = append(dst, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(s.id))
		dst, err = s.current.codec.BinaryFromNative(dst, native)
	} else {
		dst, err = s.current.codec.SingleFromNative(dst, native)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", s.kind, err)
	}
	return dst, nil
}

// Decode decodes b, written with any released schema version, in either
// framing, into the current Go type.
func (s *Serde[T]) Decode(b []byte) (T, error) {
	var out T
	v, body, err := s.writer(b)
	if err != nil {
		return out, fmt.Errorf("decode %s: %w", s.kind, err)
	}
	native, rest, err := v.codec.NativeFromBinary(body)
	if err != nil {
		return out, fmt.Errorf("decode %s: %w", s.kind, err)
	}
	if len(rest) != 0 {
		return out, fmt.Errorf("decode %s: %d bytes after the record", s.kind, len(rest))
	}
	if err := v.mapper.FromNative(native, &out); err != nil {
		return out, fmt.Errorf("decode %s: %w", s.kind, err)
	}
	return out, nil
}

// writer finds the schema version b was written with and returns the body.
func (s *Serde[T]) writer(b []byte) (*version, []byte, error) {
	switch {
	case len(b) >= 10 && b[0] == 0xC3 && b[1] == 0x01:
		fp := binary.LittleEndian.Uint64(b[2:10])
		v, ok := s.byFP[fp]
		if !ok {
			return nil, nil, fmt.Errorf("%w: fingerprint %#016x is no released %s schema", ErrUnknownSchema, fp, s.kind)
		}
		return v, b[10:], nil
	case len(b) >= 5 && b[0] == 0:
		id := int(binary.BigEndian.Uint32(b[1:5]))
		v, err := s.byRegistryID(id)
		return v, b[5:], err
	}
	return nil, nil, ErrFraming
}

func (s *Serde[T]) byRegistryID(id int) (*version, error) {
	s.mu.RLock()
	v, ok := s.byID[id]
	s.mu.RUnlock()
	if ok {
		return v, nil
	}
	if s.registry == nil {
		return nil, fmt.Errorf("%w: Confluent-framed data with schema id %d, but no schema registry is configured", ErrUnknownSchema, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sch, err := s.registry.SchemaByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrUnknownSchema, id, err)
	}
	v, err = newVersion(sch.Schema)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	s.mu.Lock()
	s.byID[id] = v
	s.mu.Unlock()
	return v, nil
}
