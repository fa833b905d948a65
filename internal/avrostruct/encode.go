package avrostruct

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

var (
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	stringMapType = reflect.TypeFor[map[string]string]()
	epoch         = time.Unix(0, 0).UTC()
)

type encFn func(v reflect.Value) (any, error)

// binEncFn appends the Avro binary encoding of v to b. On error the
// returned slice is nil.
type binEncFn func(b []byte, v reflect.Value) ([]byte, error)

// encoder is a compiled Go-to-Avro plan for one (schema node, Go type): fn
// builds goavro's native form, bin writes Avro binary directly. Both are
// built by the same compilation, so they accept the same Go values and pick
// the same union branches. Plans refer to each other through *encoder so
// recursive records work.
type encoder struct {
	fn  encFn
	bin binEncFn
}

// compileEnc returns the cached plan for (n, t), compiling it if needed.
// Called with m.mu held.
func (m *Mapper) compileEnc(n *node, t reflect.Type) (*encoder, error) {
	k := planKey{n, t}
	if e, ok := m.enc[k]; ok {
		return e, nil // may still be under construction (recursion): fn is set before use
	}
	e := &encoder{}
	m.enc[k] = e
	m.undo = append(m.undo, undoEntry{key: k})
	fn, bin, err := m.buildEnc(n, t)
	if err != nil {
		return nil, err // the caller rolls back
	}
	e.fn, e.bin = fn, bin
	return e, nil
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func isSigned(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Int64
}

func isByteSlice(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// timeOf reads a time.Time without allocating: through its address, or,
// for a value that is not addressable, through Interface, which then shares
// the value's memory instead of copying it.
func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *(*time.Time)(v.Addr().UnsafePointer())
	}
	return v.Interface().(time.Time)
}

func (m *Mapper) buildEnc(n *node, t reflect.Type) (encFn, binEncFn, error) {
	if n.kind == kUnion {
		return m.buildUnionEnc(n, t)
	}
	if t.Kind() == reflect.Interface {
		return m.buildIfaceEnc(n, []*node{n}, t, false)
	}
	if n.kind == kNull {
		return func(reflect.Value) (any, error) { return nil, nil },
			func(b []byte, _ reflect.Value) ([]byte, error) { return b, nil }, nil
	}
	if t.Kind() == reflect.Pointer {
		sub, err := m.compileEnc(n, t.Elem())
		if err != nil {
			return nil, nil, err
		}
		isNil := func() error { return errorf("nil %s for non-nullable avro %s", t, n) }
		return func(v reflect.Value) (any, error) {
				if v.IsNil() {
					return nil, isNil()
				}
				return sub.fn(v.Elem())
			}, func(b []byte, v reflect.Value) ([]byte, error) {
				if v.IsNil() {
					return nil, isNil()
				}
				return sub.bin(b, v.Elem())
			}, nil
	}

	switch n.logical {
	case "timestamp-millis", "timestamp-micros", "date":
		if t != timeType {
			return nil, nil, cannotMap(n, t)
		}
		fn := func(v reflect.Value) (any, error) {
			tm := timeOf(v)
			if tm.IsZero() {
				return epoch, nil
			}
			return tm, nil
		}
		var bin binEncFn
		switch n.logical { // a zero time.Time is the epoch: 0
		case "timestamp-millis":
			bin = func(b []byte, v reflect.Value) ([]byte, error) {
				tm := timeOf(v)
				if tm.IsZero() {
					return append(b, 0), nil
				}
				return appendLong(b, timestampMillis(tm)), nil
			}
		case "timestamp-micros":
			bin = func(b []byte, v reflect.Value) ([]byte, error) {
				tm := timeOf(v)
				if tm.IsZero() {
					return append(b, 0), nil
				}
				return appendLong(b, timestampMicros(tm)), nil
			}
		default:
			bin = func(b []byte, v reflect.Value) ([]byte, error) {
				tm := timeOf(v)
				if tm.IsZero() {
					return append(b, 0), nil
				}
				d, err := dateDays(tm)
				if err != nil {
					return nil, err
				}
				return appendLong(b, d), nil
			}
		}
		return fn, bin, nil
	case "time-millis", "time-micros":
		if t != durationType {
			return nil, nil, cannotMap(n, t)
		}
		fn := func(v reflect.Value) (any, error) { return time.Duration(v.Int()), nil }
		if n.logical == "time-micros" {
			return fn, func(b []byte, v reflect.Value) ([]byte, error) {
				return appendLong(b, timeMicros(time.Duration(v.Int()))), nil
			}, nil
		}
		return fn, func(b []byte, v reflect.Value) ([]byte, error) {
			ms, err := timeMillis(time.Duration(v.Int()))
			if err != nil {
				return nil, err
			}
			return appendLong(b, ms), nil
		}, nil
	case "decimal":
		return nil, nil, errorf("avro %s with logicalType decimal is not supported", n)
	}

	k := t.Kind()
	switch n.kind {
	case kBoolean:
		if k == reflect.Bool {
			return func(v reflect.Value) (any, error) { return v.Bool(), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendBool(b, v.Bool()), nil }, nil
		}
	case kInt:
		if isSigned(k) {
			check := func(v reflect.Value) (int64, error) {
				i := v.Int()
				if i < math.MinInt32 || i > math.MaxInt32 {
					return 0, errorf("%d overflows avro int", i)
				}
				return i, nil
			}
			return func(v reflect.Value) (any, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return int32(i), nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return appendLong(b, i), nil
				}, nil
		}
		if isInt(k) {
			check := func(v reflect.Value) (int64, error) {
				u := v.Uint()
				if u > math.MaxInt32 {
					return 0, errorf("%d overflows avro int", u)
				}
				return int64(u), nil
			}
			return func(v reflect.Value) (any, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return int32(i), nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return appendLong(b, i), nil
				}, nil
		}
	case kLong:
		if isSigned(k) {
			return func(v reflect.Value) (any, error) { return v.Int(), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendLong(b, v.Int()), nil }, nil
		}
		if isInt(k) {
			check := func(v reflect.Value) (int64, error) {
				u := v.Uint()
				if u > math.MaxInt64 {
					return 0, errorf("%d overflows avro long", u)
				}
				return int64(u), nil
			}
			return func(v reflect.Value) (any, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return i, nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					i, err := check(v)
					if err != nil {
						return nil, err
					}
					return appendLong(b, i), nil
				}, nil
		}
	case kFloat:
		if k == reflect.Float32 {
			return func(v reflect.Value) (any, error) { return float32(v.Float()), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendFloat(b, float32(v.Float())), nil }, nil
		}
	case kDouble:
		if k == reflect.Float64 || k == reflect.Float32 {
			return func(v reflect.Value) (any, error) { return v.Float(), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendDouble(b, v.Float()), nil }, nil
		}
	case kString:
		if k == reflect.String {
			return func(v reflect.Value) (any, error) { return v.String(), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendString(b, v.String()), nil }, nil
		}
	case kEnum:
		if k == reflect.String {
			index := func(v reflect.Value) (int, error) {
				s := v.String()
				if i, ok := n.symIndex[s]; ok {
					return i, nil
				}
				return 0, errorf("%q is not a symbol of enum %s (want one of %s)", s, n.name, strings.Join(n.symbols, ", "))
			}
			return func(v reflect.Value) (any, error) {
					i, err := index(v)
					if err != nil {
						return nil, err
					}
					return n.boxedSym[i], nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					i, err := index(v)
					if err != nil {
						return nil, err
					}
					return appendLong(b, int64(i)), nil
				}, nil
		}
	case kBytes:
		if isByteSlice(t) {
			return func(v reflect.Value) (any, error) { return v.Bytes(), nil },
				func(b []byte, v reflect.Value) ([]byte, error) { return appendBytes(b, v.Bytes()), nil }, nil
		}
	case kFixed:
		if isByteSlice(t) {
			check := func(v reflect.Value) ([]byte, error) {
				p := v.Bytes()
				if len(p) != n.size {
					return nil, errorf("%d bytes for %s", len(p), n)
				}
				return p, nil
			}
			return func(v reflect.Value) (any, error) {
					p, err := check(v)
					if err != nil {
						return nil, err
					}
					return p, nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					p, err := check(v)
					if err != nil {
						return nil, err
					}
					return append(b, p...), nil
				}, nil
		}
		if k == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Len() == n.size {
			return func(v reflect.Value) (any, error) {
					out := make([]byte, n.size)
					reflect.Copy(reflect.ValueOf(out), v)
					return out, nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					if v.CanAddr() {
						return append(b, v.Bytes()...), nil
					}
					for i := range n.size {
						b = append(b, byte(v.Index(i).Uint()))
					}
					return b, nil
				}, nil
		}
	case kRecord:
		if k == reflect.Struct && t != timeType {
			return m.buildRecordEnc(n, t)
		}
	case kArray:
		if k == reflect.Slice {
			sub, err := m.compileEnc(n.items, t.Elem())
			if err != nil {
				return nil, nil, atElem(err)
			}
			return func(v reflect.Value) (any, error) {
					l := v.Len()
					out := make([]any, l)
					for i := 0; i < l; i++ {
						x, err := sub.fn(v.Index(i))
						if err != nil {
							return nil, atIndex(err, i)
						}
						out[i] = x
					}
					return out, nil
				}, func(b []byte, v reflect.Value) ([]byte, error) {
					l := v.Len()
					if l == 0 {
						return append(b, 0), nil
					}
					b = appendLong(b, int64(l))
					for i := 0; i < l; i++ {
						var err error
						if b, err = sub.bin(b, v.Index(i)); err != nil {
							return nil, atIndex(err, i)
						}
					}
					return append(b, 0), nil
				}, nil
		}
	case kMap:
		if k == reflect.Map && t.Key().Kind() == reflect.String {
			sub, err := m.compileEnc(n.items, t.Elem())
			if err != nil {
				return nil, nil, atElem(err)
			}
			return func(v reflect.Value) (any, error) {
				out := make(map[string]any, v.Len())
				it := v.MapRange()
				for it.Next() {
					key := it.Key().String()
					x, err := sub.fn(it.Value())
					if err != nil {
						return nil, atKey(err, key)
					}
					out[key] = x
				}
				return out, nil
			}, mapBinEnc(n, t, sub), nil
		}
	}
	return nil, nil, cannotMap(n, t)
}

// mapBinEnc writes a map as one block with its keys in sorted order, so
// equal values encode to equal bytes (goavro writes Go's random map order).
func mapBinEnc(n *node, t reflect.Type, sub *encoder) binEncFn {
	if t == stringMapType && n.items.kind == kString {
		return func(b []byte, v reflect.Value) ([]byte, error) {
			l := v.Len()
			if l == 0 {
				return append(b, 0), nil
			}
			b = appendLong(b, int64(l))
			if !v.CanInterface() {
				return mapEntries(b, v, sub)
			}
			mm := v.Interface().(map[string]string)
			var buf [16]string
			keys := buf[:0]
			for k := range mm {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				b = appendString(appendString(b, k), mm[k])
			}
			return append(b, 0), nil
		}
	}
	return func(b []byte, v reflect.Value) ([]byte, error) {
		l := v.Len()
		if l == 0 {
			return append(b, 0), nil
		}
		return mapEntries(appendLong(b, int64(l)), v, sub)
	}
}

func mapEntries(b []byte, v reflect.Value, sub *encoder) ([]byte, error) {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
	for _, k := range keys {
		key := k.String()
		var err error
		if b, err = sub.bin(appendString(b, key), v.MapIndex(k)); err != nil {
			return nil, atKey(err, key)
		}
	}
	return append(b, 0), nil
}
