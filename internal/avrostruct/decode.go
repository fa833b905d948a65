package avrostruct

import (
	"math"
	"reflect"
	"time"
	"unsafe"
)

type decFn func(native any, dst reflect.Value) error

// binDecFn reads one value of its schema node from the front of b into the
// Go value at p and returns the rest of b. The value at p is always zero on
// entry (DecodeBinary zeroes the top, and everything below is new), so a
// null or an empty array leaves it alone. depth counts the records around.
type binDecFn func(b []byte, p unsafe.Pointer, depth int) ([]byte, error)

// decoder is a compiled plan into one Go type from one schema node: fn
// from goavro's native form, bin from Avro binary written with that node.
// dst is always settable.
type decoder struct {
	fn  decFn
	bin binDecFn
}

// compileDec returns the cached plan for (n, t), compiling it if needed.
// Called with m.mu held.
func (m *Mapper) compileDec(n *node, t reflect.Type) (*decoder, error) {
	k := planKey{n, t}
	if d, ok := m.dec[k]; ok {
		return d, nil
	}
	d := &decoder{}
	m.dec[k] = d
	m.undo = append(m.undo, undoEntry{key: k, dec: true})
	fn, bin, err := m.buildDec(n, t)
	if err != nil {
		return nil, err
	}
	d.fn, d.bin = fn, bin
	return d, nil
}

// retry tolerates a value written with a union where the schema now has one
// of its members: {"<branch>": v} is unwrapped when the branch is n.
func retry(n *node, native any, dst reflect.Value, fn decFn) error {
	if mm, ok := native.(map[string]any); ok && len(mm) == 1 {
		if v, ok := mm[n.branch]; ok {
			return fn(v, dst)
		}
	}
	return mismatch(n, native)
}

func setTime(dst reflect.Value, t time.Time) {
	*(*time.Time)(dst.Addr().UnsafePointer()) = t
}

// setInt stores i into an integer-kind dst, or fails naming t.
func setInt(dst reflect.Value, i int64, signed bool, t reflect.Type) error {
	if signed {
		if dst.OverflowInt(i) {
			return errorf("%d overflows Go %s", i, t)
		}
		dst.SetInt(i)
		return nil
	}
	if i < 0 || dst.OverflowUint(uint64(i)) {
		return errorf("%d overflows Go %s", i, t)
	}
	dst.SetUint(uint64(i))
	return nil
}

// intStorer returns a function that stores i at p, a value of integer type
// t, or fails as setInt does.
func intStorer(t reflect.Type) func(p unsafe.Pointer, i int64) error {
	var lo, hi int64
	var hiU uint64
	signed := isSigned(t.Kind())
	if signed {
		bits := t.Bits()
		lo, hi = math.MinInt64>>(64-bits), math.MaxInt64>>(64-bits)
	} else {
		hiU = math.MaxUint64 >> (64 - t.Bits())
	}
	overflow := func(i int64) error { return errorf("%d overflows Go %s", i, t) }
	switch t.Kind() {
	case reflect.Int64:
		return func(p unsafe.Pointer, i int64) error { *(*int64)(p) = i; return nil }
	case reflect.Int:
		return func(p unsafe.Pointer, i int64) error {
			if i < lo || i > hi {
				return overflow(i)
			}
			*(*int)(p) = int(i)
			return nil
		}
	case reflect.Int32:
		return func(p unsafe.Pointer, i int64) error {
			if i < lo || i > hi {
				return overflow(i)
			}
			*(*int32)(p) = int32(i)
			return nil
		}
	case reflect.Int16:
		return func(p unsafe.Pointer, i int64) error {
			if i < lo || i > hi {
				return overflow(i)
			}
			*(*int16)(p) = int16(i)
			return nil
		}
	case reflect.Int8:
		return func(p unsafe.Pointer, i int64) error {
			if i < lo || i > hi {
				return overflow(i)
			}
			*(*int8)(p) = int8(i)
			return nil
		}
	}
	store := func(p unsafe.Pointer, u uint64) {
		switch t.Kind() {
		case reflect.Uint64:
			*(*uint64)(p) = u
		case reflect.Uint:
			*(*uint)(p) = uint(u)
		case reflect.Uintptr:
			*(*uintptr)(p) = uintptr(u)
		case reflect.Uint32:
			*(*uint32)(p) = uint32(u)
		case reflect.Uint16:
			*(*uint16)(p) = uint16(u)
		default:
			*(*uint8)(p) = uint8(u)
		}
	}
	return func(p unsafe.Pointer, i int64) error {
		if i < 0 || uint64(i) > hiU {
			return overflow(i)
		}
		store(p, uint64(i))
		return nil
	}
}

func (m *Mapper) buildDec(n *node, t reflect.Type) (decFn, binDecFn, error) {
	if n.kind == kUnion {
		return m.buildUnionDec(n, t)
	}
	if t.Kind() == reflect.Interface {
		return m.buildIfaceDec(n, []*node{n}, t, false)
	}
	if n.kind == kNull {
		return func(any, reflect.Value) error { return nil },
			func(b []byte, _ unsafe.Pointer, _ int) ([]byte, error) { return b, nil }, nil
	}
	if t.Kind() == reflect.Pointer {
		sub, err := m.compileDec(n, t.Elem())
		if err != nil {
			return nil, nil, err
		}
		elem := t.Elem()
		return func(native any, dst reflect.Value) error {
				if native == nil {
					dst.SetZero()
					return nil
				}
				p := reflect.New(elem)
				if err := sub.fn(native, p.Elem()); err != nil {
					return err
				}
				dst.Set(p)
				return nil
			}, func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
				q := reflect.New(elem).UnsafePointer()
				b, err := sub.bin(b, q, depth)
				if err != nil {
					return nil, err
				}
				*(*unsafe.Pointer)(p) = q
				return b, nil
			}, nil
	}
	var fn decFn
	var bin binDecFn
	switch n.logical {
	case "timestamp-millis", "timestamp-micros", "date":
		if t != timeType {
			return nil, nil, cannotMap(n, t)
		}
		fn = func(native any, dst reflect.Value) error {
			var tm time.Time
			switch x := native.(type) {
			case time.Time:
				tm = x
			case int64: // the writer's schema had no logicalType
				switch n.logical {
				case "timestamp-millis":
					tm = time.UnixMilli(x).UTC()
				case "timestamp-micros":
					tm = time.UnixMicro(x).UTC()
				default:
					tm = time.Unix(x*86400, 0).UTC()
				}
			case int32:
				tm = time.Unix(int64(x)*86400, 0).UTC()
			case nil:
				dst.SetZero()
				return nil
			default:
				return retry(n, native, dst, fn)
			}
			if tm.Unix() == 0 && tm.Nanosecond() == 0 {
				tm = time.Time{} // the epoch stands for the zero time.Time
			}
			setTime(dst, tm)
			return nil
		}
		read, conv := readLong, fromTimestampMillis
		switch n.logical {
		case "timestamp-micros":
			conv = fromTimestampMicros
		case "date":
			read, conv = readInt, fromDate
		}
		bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			x, b, err := read(b)
			if err != nil {
				return nil, err
			}
			if x != 0 { // the epoch stands for the zero time.Time
				*(*time.Time)(p) = conv(x)
			}
			return b, nil
		}
		return fn, bin, nil
	case "time-millis", "time-micros":
		if t != durationType {
			return nil, nil, cannotMap(n, t)
		}
		unit := time.Millisecond
		read := readInt
		if n.logical == "time-micros" {
			unit, read = time.Microsecond, readLong
		}
		fn = func(native any, dst reflect.Value) error {
			switch x := native.(type) {
			case time.Duration:
				dst.SetInt(int64(x))
			case int32:
				dst.SetInt(int64(x) * int64(unit))
			case int64:
				dst.SetInt(x * int64(unit))
			case nil:
				dst.SetZero()
			default:
				return retry(n, native, dst, fn)
			}
			return nil
		}
		bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			x, b, err := read(b)
			if err != nil {
				return nil, err
			}
			*(*time.Duration)(p) = time.Duration(x) * unit
			return b, nil
		}
		return fn, bin, nil
	case "decimal":
		return nil, nil, errorf("avro %s with logicalType decimal is not supported", n)
	}

	k := t.Kind()
	switch n.kind {
	case kBoolean:
		if k == reflect.Bool {
			fn = func(native any, dst reflect.Value) error {
				switch x := native.(type) {
				case bool:
					dst.SetBool(x)
				case nil:
					dst.SetZero()
				default:
					return retry(n, native, dst, fn)
				}
				return nil
			}
			bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
				x, b, err := readBool(b)
				if err != nil {
					return nil, err
				}
				*(*bool)(p) = x
				return b, nil
			}
		}
	case kInt, kLong:
		if isInt(k) {
			signed := isSigned(k)
			fn = func(native any, dst reflect.Value) error {
				var i int64
				switch x := native.(type) {
				case int64:
					i = x
				case int32:
					i = int64(x)
				case int:
					i = int64(x)
				case nil:
					dst.SetZero()
					return nil
				default:
					return retry(n, native, dst, fn)
				}
				return setInt(dst, i, signed, t)
			}
			read := readLong
			if n.kind == kInt {
				read = readInt
			}
			store := intStorer(t)
			bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
				i, b, err := read(b)
				if err != nil {
					return nil, err
				}
				if err := store(p, i); err != nil {
					return nil, err
				}
				return b, nil
			}
		}
	case kFloat, kDouble:
		if k == reflect.Float64 || k == reflect.Float32 {
			fn = func(native any, dst reflect.Value) error {
				switch x := native.(type) {
				case float64:
					dst.SetFloat(x)
				case float32:
					dst.SetFloat(float64(x))
				case int64: // Avro promotes int and long to float and double
					dst.SetFloat(float64(x))
				case int32:
					dst.SetFloat(float64(x))
				case nil:
					dst.SetZero()
				default:
					return retry(n, native, dst, fn)
				}
				return nil
			}
			read := readDouble
			if n.kind == kFloat {
				read = func(b []byte) (float64, []byte, error) {
					x, b, err := readFloat(b)
					return float64(x), b, err
				}
			}
			to32 := k == reflect.Float32
			bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
				x, b, err := read(b)
				if err != nil {
					return nil, err
				}
				if to32 {
					*(*float32)(p) = float32(x)
				} else {
					*(*float64)(p) = x
				}
				return b, nil
			}
		}
	case kString, kEnum:
		if k == reflect.String {
			fn = func(native any, dst reflect.Value) error {
				switch x := native.(type) {
				case string:
					dst.SetString(x)
				case []byte: // Avro promotes bytes to string
					dst.SetString(string(x))
				case nil:
					dst.SetZero()
				default:
					return retry(n, native, dst, fn)
				}
				return nil
			}
			if n.kind == kEnum {
				bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
					i, b, err := readIndex(b, len(n.symbols), n)
					if err != nil {
						return nil, err
					}
					*(*string)(p) = n.symbols[i]
					return b, nil
				}
			} else {
				bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
					s, b, err := readBytes(b, "string")
					if err != nil {
						return nil, err
					}
					*(*string)(p) = string(s)
					return b, nil
				}
			}
		}
	case kBytes, kFixed:
		if isByteSlice(t) {
			fn = func(native any, dst reflect.Value) error {
				switch x := native.(type) {
				case []byte: // goavro's slice points into the message: copy it
					if len(x) == 0 {
						dst.SetZero()
					} else {
						dst.SetBytes(append([]byte(nil), x...))
					}
				case string:
					if x == "" {
						dst.SetZero()
					} else {
						dst.SetBytes([]byte(x))
					}
				case nil:
					dst.SetZero()
				default:
					return retry(n, native, dst, fn)
				}
				return nil
			}
			bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
				var x []byte
				var err error
				if n.kind == kFixed {
					x, b, err = readFixed(b, n.size, n)
				} else {
					x, b, err = readBytes(b, "bytes")
				}
				if err != nil {
					return nil, err
				}
				if len(x) > 0 { // empty bytes are nil
					*(*[]byte)(p) = append([]byte(nil), x...)
				}
				return b, nil
			}
		} else if n.kind == kFixed && k == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Len() == n.size {
			fn = func(native any, dst reflect.Value) error {
				switch x := native.(type) {
				case []byte:
					if len(x) != n.size {
						return errorf("%d bytes for %s", len(x), n)
					}
					copy(dst.Bytes(), x)
				case nil:
					dst.SetZero()
				default:
					return retry(n, native, dst, fn)
				}
				return nil
			}
			bin = func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
				x, b, err := readFixed(b, n.size, n)
				if err != nil {
					return nil, err
				}
				copy(unsafe.Slice((*byte)(p), n.size), x)
				return b, nil
			}
		}
	case kRecord:
		if k == reflect.Struct && t != timeType {
			return m.buildRecordDec(n, t)
		}
	case kArray:
		if k == reflect.Slice {
			sub, err := m.compileDec(n.items, t.Elem())
			if err != nil {
				return nil, nil, atElem(err)
			}
			fn = func(native any, dst reflect.Value) error {
				list, ok := native.([]any)
				if !ok {
					if native == nil {
						dst.SetZero()
						return nil
					}
					return retry(n, native, dst, fn)
				}
				if len(list) == 0 {
					dst.SetZero()
					return nil
				}
				s := reflect.MakeSlice(t, len(list), len(list))
				for i, x := range list {
					if err := sub.fn(x, s.Index(i)); err != nil {
						return atIndex(err, i)
					}
				}
				dst.Set(s)
				return nil
			}
			bin = arrayBinDec(n, t, sub)
		}
	case kMap:
		if k == reflect.Map && t.Key().Kind() == reflect.String {
			sub, err := m.compileDec(n.items, t.Elem())
			if err != nil {
				return nil, nil, atElem(err)
			}
			keyType, elemType := t.Key(), t.Elem()
			fn = func(native any, dst reflect.Value) error {
				mm, ok := native.(map[string]any)
				if !ok {
					if native == nil {
						dst.SetZero()
						return nil
					}
					return mismatch(n, native)
				}
				if len(mm) == 0 {
					dst.SetZero()
					return nil
				}
				out := reflect.MakeMapWithSize(t, len(mm))
				elem := reflect.New(elemType).Elem()
				for key, x := range mm {
					elem.SetZero()
					if err := sub.fn(x, elem); err != nil {
						return atKey(err, key)
					}
					kv := reflect.ValueOf(key)
					if keyType != kv.Type() {
						kv = kv.Convert(keyType)
					}
					out.SetMapIndex(kv, elem)
				}
				dst.Set(out)
				return nil
			}
			bin = mapBinDec(n, t, sub)
		}
	}
	if fn == nil {
		return nil, nil, cannotMap(n, t)
	}
	return fn, bin, nil
}

// arrayBinDec reads an array's blocks into a new slice; an empty array is
// a nil slice, as FromNative gives.
func arrayBinDec(n *node, t reflect.Type, sub *decoder) binDecFn {
	size := t.Elem().Size()
	return func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		c := blockCounter{minItem: n.items.minSize}
		cnt, b, err := c.next(b)
		if err != nil || cnt == 0 {
			return b, err
		}
		s := reflect.NewAt(t, p).Elem()
		for i := 0; cnt > 0; {
			s.Grow(cnt)
			s.SetLen(i + cnt)
			data := s.UnsafePointer()
			for ; i < s.Len(); i++ {
				if b, err = sub.bin(b, unsafe.Add(data, uintptr(i)*size), depth); err != nil {
					return nil, atIndex(err, i)
				}
			}
			if cnt, b, err = c.next(b); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
}

// mapBinDec reads a map's blocks into a new map; an empty map is nil, and
// a key written twice is an error, as in goavro.
func mapBinDec(n *node, t reflect.Type, sub *decoder) binDecFn {
	if t == stringMapType && n.items.kind == kString {
		return func(b []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			c := blockCounter{minItem: 2}
			cnt, b, err := c.next(b)
			if err != nil || cnt == 0 {
				return b, err
			}
			out := make(map[string]string, cnt)
			for cnt > 0 {
				for range cnt {
					var k, v []byte
					if k, b, err = readBytes(b, "map key"); err != nil {
						return nil, err
					}
					if v, b, err = readBytes(b, "string"); err != nil {
						return nil, atKey(err, string(k))
					}
					if _, dup := out[string(k)]; dup {
						return nil, atKey(errorf("duplicate map key"), string(k))
					}
					out[string(k)] = string(v)
				}
				if cnt, b, err = c.next(b); err != nil {
					return nil, err
				}
			}
			*(*map[string]string)(p) = out
			return b, nil
		}
	}
	return func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		c := blockCounter{minItem: 1 + n.items.minSize}
		cnt, b, err := c.next(b)
		if err != nil || cnt == 0 {
			return b, err
		}
		out := reflect.MakeMapWithSize(t, cnt)
		key := reflect.New(t.Key()).Elem()
		elem := reflect.New(t.Elem()).Elem()
		elemPtr := elem.Addr().UnsafePointer()
		for cnt > 0 {
			for range cnt {
				var k []byte
				if k, b, err = readBytes(b, "map key"); err != nil {
					return nil, err
				}
				ks := string(k)
				elem.SetZero()
				if b, err = sub.bin(b, elemPtr, depth); err != nil {
					return nil, atKey(err, ks)
				}
				key.SetString(ks)
				before := out.Len()
				out.SetMapIndex(key, elem)
				if out.Len() == before {
					return nil, atKey(errorf("duplicate map key"), ks)
				}
			}
			if cnt, b, err = c.next(b); err != nil {
				return nil, err
			}
		}
		reflect.NewAt(t, p).Elem().Set(out)
		return b, nil
	}
}
