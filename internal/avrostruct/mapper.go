package avrostruct

import (
	"fmt"
	"reflect"
	"sync"
)

// Mapper converts between Go values and goavro native values for one schema.
// It is safe for concurrent use.
type Mapper struct {
	root *node

	// Union member registry (WithUnionType).
	typeByName map[string]reflect.Type // full name -> the Go type as registered
	nameByType map[reflect.Type]string // registered type, T and *T -> full name

	// Compiled plans for the top-level value, by Go type: the lock-free hot path.
	topEnc sync.Map // reflect.Type -> *encoder
	topDec sync.Map // reflect.Type -> *decoder

	// Everything below is guarded by mu and only used while compiling.
	mu     sync.Mutex
	enc    map[planKey]*encoder
	dec    map[planKey]*decoder
	undo   []undoEntry // plans added since the last successful compile
	fields map[reflect.Type][]goField
}

type planKey struct {
	n *node
	t reflect.Type
}

type undoEntry struct {
	key planKey
	dec bool
}

// Option configures a Mapper.
type Option func(*Mapper) error

// WithUnionType registers the Go type of sample as the Go side of the named
// Avro type recordFullName (normally a record), for fields of interface type
// whose schema is a union of such types. ToNative accepts a value of the
// registered type T or of *T; FromNative creates a value of exactly the type
// of sample (T, or *T if sample was a pointer).
//
// Names that the Mapper's schema does not define are ignored, so one list of
// options can serve several schemas.
func WithUnionType(recordFullName string, sample any) Option {
	return func(m *Mapper) error {
		if sample == nil {
			return fmt.Errorf("avrostruct: WithUnionType(%q): nil sample", recordFullName)
		}
		t := reflect.TypeOf(sample)
		if _, dup := m.typeByName[recordFullName]; dup {
			return fmt.Errorf("avrostruct: WithUnionType: %q registered twice", recordFullName)
		}
		base := t
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		for _, k := range []reflect.Type{base, reflect.PointerTo(base)} {
			if other, dup := m.nameByType[k]; dup {
				return fmt.Errorf("avrostruct: WithUnionType: Go type %s registered for both %q and %q", base, other, recordFullName)
			}
			m.nameByType[k] = recordFullName
		}
		m.typeByName[recordFullName] = t
		return nil
	}
}

// New parses schemaJSON (the text given to goavro.NewCodec) and returns a
// Mapper for it.
func New(schemaJSON string, opts ...Option) (*Mapper, error) {
	root, err := parseSchema(schemaJSON)
	if err != nil {
		return nil, err
	}
	m := &Mapper{
		root:       root,
		typeByName: map[string]reflect.Type{},
		nameByType: map[reflect.Type]string{},
		enc:        map[planKey]*encoder{},
		dec:        map[planKey]*decoder{},
		fields:     map[reflect.Type][]goField{},
	}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ToNative converts v, a Go value matching the schema (for a record schema, a
// struct or a pointer to one), into goavro's native form, ready for
// codec.BinaryFromNative. Pass a pointer to save an allocation per time.Time
// field. The result may share []byte contents with v.
func (m *Mapper) ToNative(v any) (any, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil, errorf("ToNative of nil")
	}
	e, err := m.encoderFor(rv.Type())
	if err != nil {
		return nil, err
	}
	return e.fn(rv)
}

// FromNative fills *out (out must be a non-nil pointer) from native, a value
// in goavro's native form such as codec.NativeFromBinary returns. *out is
// reset to its zero value first. Fields the native value lacks stay zero;
// native fields with no Go field are ignored.
func (m *Mapper) FromNative(native any, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errorf("FromNative needs a non-nil pointer, got %T", out)
	}
	dst := rv.Elem()
	d, err := m.decoderFor(dst.Type())
	if err != nil {
		return err
	}
	dst.SetZero()
	return d.fn(native, dst)
}

// AppendBinary appends the Avro binary encoding of v (for a record schema, a
// struct or a pointer to one) to dst and returns the extended slice. It
// writes straight from the Go value, with the same rules as ToNative: the
// bytes are those codec.BinaryFromNative(nil, native) writes for ToNative's
// result, except that map entries come sorted by key (goavro writes Go's
// random map order), so equal values encode to equal bytes. Pass a pointer
// to avoid copying v. On error it returns dst unchanged.
func (m *Mapper) AppendBinary(dst []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return dst, errorf("AppendBinary of nil")
	}
	e, err := m.encoderFor(rv.Type())
	if err != nil {
		return dst, err
	}
	out, err := e.bin(dst, rv)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// DecodeBinary reads one value in Avro binary, written with the Mapper's
// schema (the writer's schema: build a Mapper per schema version), from the
// front of b into *out (out must be a non-nil pointer), and returns the
// bytes after it. The result is what FromNative(codec.NativeFromBinary(b))
// gives, with the same tolerance of evolution: writer fields without a Go
// field are read past, Go fields the writer lacks stay zero, and so on.
// *out is reset to its zero value first. Strings and bytes are copied, so
// *out does not refer to b. Malformed or truncated input is an error, and
// lengths and counts are bounded by what is left of b.
func (m *Mapper) DecodeBinary(b []byte, out any) (rest []byte, err error) {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, errorf("DecodeBinary needs a non-nil pointer, got %T", out)
	}
	dst := rv.Elem()
	d, err := m.decoderFor(dst.Type())
	if err != nil {
		return nil, err
	}
	dst.SetZero()
	return d.bin(b, rv.UnsafePointer(), 0)
}

func (m *Mapper) encoderFor(t reflect.Type) (*encoder, error) {
	if e, ok := m.topEnc.Load(t); ok {
		return e.(*encoder), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.compileEnc(m.root, t)
	if err != nil {
		m.rollback(0)
		return nil, err
	}
	m.undo = m.undo[:0]
	m.topEnc.Store(t, e)
	return e, nil
}

func (m *Mapper) decoderFor(t reflect.Type) (*decoder, error) {
	if d, ok := m.topDec.Load(t); ok {
		return d.(*decoder), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.compileDec(m.root, t)
	if err != nil {
		m.rollback(0)
		return nil, err
	}
	m.undo = m.undo[:0]
	m.topDec.Store(t, d)
	return d, nil
}

// rollback forgets the plans compiled since undo mark, after a failed
// compilation, so no cached plan refers to an unfinished one.
func (m *Mapper) rollback(mark int) {
	for _, u := range m.undo[mark:] {
		if u.dec {
			delete(m.dec, u.key)
		} else {
			delete(m.enc, u.key)
		}
	}
	m.undo = m.undo[:mark]
}

func (m *Mapper) structFields(t reflect.Type) []goField {
	fs, ok := m.fields[t]
	if !ok {
		fs = structFields(t)
		m.fields[t] = fs
	}
	return fs
}
