package schemas

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
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

// ErrRegistryUnavailable is returned (wrapped) when the schema registry
// could not be asked for a writer schema (network, 5xx): the data may be
// good, so callers retry rather than treat it as poison.
var ErrRegistryUnavailable = errors.New("schema registry unavailable")

// version is one schema version: its codec (which parses and checks the
// schema and gives its fingerprint) and the mapper that writes and reads
// Avro binary of that schema from and into Go types.
type version struct {
	codec  *goavro.Codec
	mapper *avrostruct.Mapper
	fp     uint64 // the fingerprint in single-object encoding (spec canonical form)
	// legacyFP is goavro's fingerprint of the same schema, which orderlog
	// wrote before it computed the spec's canonical form itself; data with
	// it is still read.
	legacyFP uint64
}

// Serde encodes and decodes one kind of record. Without a registry it writes
// Avro single-object encoding (0xC3 0x01, CRC-64-AVRO fingerprint, body);
// with one, the Confluent wire format (0x00, 4-byte schema id, body). It
// reads both, and data written with any released version of the schema.
// A Serde is safe for concurrent use.
type Serde[T any] struct {
	// sizeHint is about the size of the last encoding: Encode allocates
	// that much (and a quarter more) once instead of growing from nothing.
	sizeHint atomic.Int64
	kind     Kind
	current  *version
	byFP     map[uint64]*version

	registry *sr.Client
	subject  string
	id       int // registry id of the current schema, 0 without registry
	mu       sync.RWMutex
	byID     map[int]*version

	// scratch holds *T values to encode from and decode into: the mapper
	// needs a pointer, and a pointer to a parameter or result would make it
	// escape, an allocation per call.
	scratch sync.Pool
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

// New returns the Serde of kind k for Go type T; T must be the type kind k
// is generated from (the integration kinds: New[integration.PaymentRequest](ctx,
// KindPaymentRequest), ...).
func New[T any](ctx context.Context, k Kind, opts ...Option) (*Serde[T], error) {
	s, ok := specs[k]
	if !ok {
		return nil, fmt.Errorf("unknown schema kind %q", k)
	}
	if want := reflect.TypeFor[T](); s.typ != want {
		return nil, fmt.Errorf("schema kind %s is for %s, not %s", k, s.typ, want)
	}
	return newSerde[T](ctx, k, opts)
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
	fp, err := Fingerprint(schema)
	if err != nil {
		return nil, err
	}
	return &version{codec: codec, mapper: m, fp: fp, legacyFP: codec.Rabin}, nil
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
		s.byFP[v.fp] = v
		s.byFP[v.legacyFP] = v
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
func (s *Serde[T]) Fingerprint() uint64 { return s.current.fp }

// Encode encodes v with the current schema.
func (s *Serde[T]) Encode(v T) ([]byte, error) {
	h := s.sizeHint.Load()
	out, err := s.AppendEncode(make([]byte, 0, h+h/4+16), v)
	if err == nil {
		s.sizeHint.Store(int64(len(out)))
	}
	return out, err
}

// AppendEncode appends the encoding of v to dst.
func (s *Serde[T]) AppendEncode(dst []byte, v T) ([]byte, error) {
	p := s.get()
	*p = v
	out, err := s.appendEncode(dst, p)
	s.put(p)
	return out, err
}

func (s *Serde[T]) appendEncode(dst []byte, v *T) ([]byte, error) {
	start := len(dst)
	if s.id != 0 {
		dst = append(dst, 0)
		dst = binary.BigEndian.AppendUint32(dst, uint32(s.id))
	} else {
		dst = append(dst, 0xC3, 0x01)
		dst = binary.LittleEndian.AppendUint64(dst, s.current.fp)
	}
	dst, err := s.current.mapper.AppendBinary(dst, v)
	if err != nil {
		return dst[:start], fmt.Errorf("encode %s: %w", s.kind, err)
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
	p := s.get()
	rest, err := v.mapper.DecodeBinary(body, p)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d bytes after the record", len(rest))
	}
	if err == nil {
		out = *p
	}
	s.put(p)
	if err != nil {
		return out, fmt.Errorf("decode %s: %w", s.kind, err)
	}
	return out, nil
}

func (s *Serde[T]) get() *T {
	if p, ok := s.scratch.Get().(*T); ok {
		return p
	}
	return new(T)
}

func (s *Serde[T]) put(p *T) {
	var zero T
	*p = zero // keep no references
	s.scratch.Put(p)
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
	var re *sr.ResponseError
	switch {
	case err == nil:
	case errors.As(err, &re) && re.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrUnknownSchema, id, err)
	default:
		// The registry could not answer: the data may be fine, so this is
		// not poison; the caller should retry.
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrRegistryUnavailable, id, err)
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
