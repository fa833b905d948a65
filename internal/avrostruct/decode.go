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

type decField struct {
	name   string
	index  []int
	viaPtr bool
	dec    *decoder
}

// binDecField is one field of the writer's record: decoded into a Go field,
// or skipped (dec == nil).
type binDecField struct {
	name   string
	typ    *node
	offset uintptr    // of the Go field in the struct, when hops is empty
	hops   []fieldHop // the path through embedded pointers, if any
	viaPtr bool
	dec    *decoder
	op     leafOp // the plan of dec, done inline for common leaves
}

// leafOp names a binary decoder simple enough to run inline in the record
// loop, saving a call per field.
type leafOp uint8

const (
	opCall   leafOp = iota // call dec.bin
	opString               // string into a string kind
	opLong                 // long into int64
	opBool                 // boolean into bool
	opMillis               // long timestamp-millis into time.Time
)

func leafOpOf(n *node, t reflect.Type) leafOp {
	switch {
	case n.kind == kString && t.Kind() == reflect.String:
		return opString
	case n.kind == kLong && n.logical == "" && t.Kind() == reflect.Int64:
		return opLong
	case n.kind == kBoolean && t.Kind() == reflect.Bool:
		return opBool
	case n.kind == kLong && n.logical == "timestamp-millis" && t == timeType:
		return opMillis
	}
	return opCall
}

// fieldHop is one step to a field promoted through embedded structs: the
// field at offset, and, if it is an embedded pointer, its element type.
type fieldHop struct {
	offset uintptr
	elem   reflect.Type // nil: not a pointer
}

// hopsTo returns the offset of the field at index in struct t, or, when the
// path goes through an embedded pointer, the hops to follow.
func hopsTo(t reflect.Type, index []int) (uintptr, []fieldHop) {
	var hops []fieldHop
	var off uintptr
	through := false
	for i, x := range index {
		f := t.Field(x)
		off += f.Offset
		if i == len(index)-1 {
			break
		}
		t = f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			hops = append(hops, fieldHop{offset: off, elem: t})
			off, through = 0, true
		}
	}
	if !through {
		return off, nil
	}
	return 0, append(hops, fieldHop{offset: off})
}

// fieldAt returns the address of the field, allocating embedded pointers
// on the way.
func (f *binDecField) fieldAt(p unsafe.Pointer) unsafe.Pointer {
	if f.hops == nil {
		return unsafe.Add(p, f.offset)
	}
	for _, h := range f.hops {
		p = unsafe.Add(p, h.offset)
		if h.elem != nil {
			pp := (*unsafe.Pointer)(p)
			if *pp == nil {
				*pp = reflect.New(h.elem).UnsafePointer()
			}
			p = *pp
		}
	}
	return p
}

// buildRecordDec fills a struct from a native record. It is tolerant of
// schema evolution: schema fields without a Go field are skipped, Go fields
// without a schema field, or absent from the native record, keep their value.
func (m *Mapper) buildRecordDec(n *node, t reflect.Type) (decFn, binDecFn, error) {
	gfs := m.structFields(t)
	byName := make(map[string]*goField, len(gfs))
	for i := range gfs {
		byName[gfs[i].name] = &gfs[i]
	}
	plan := make([]decField, 0, len(n.fields))
	steps := make([]binDecField, 0, len(n.fields))
	for _, sf := range n.fields {
		gf, ok := byName[sf.name]
		if !ok {
			steps = append(steps, binDecField{name: sf.name, typ: sf.typ})
			continue
		}
		sub, err := m.compileDec(sf.typ, gf.typ)
		if err != nil {
			return nil, nil, atField(err, sf.name)
		}
		plan = append(plan, decField{name: sf.name, index: gf.index, viaPtr: gf.viaPtr, dec: sub})
		off, hops := hopsTo(t, gf.index)
		steps = append(steps, binDecField{name: sf.name, typ: sf.typ, offset: off, hops: hops, viaPtr: gf.viaPtr, dec: sub,
			op: leafOpOf(sf.typ, gf.typ)})
	}
	var fn decFn
	fn = func(native any, dst reflect.Value) error {
		mm, ok := native.(map[string]any)
		if !ok {
			if native == nil {
				dst.SetZero()
				return nil
			}
			return mismatch(n, native)
		}
		if len(mm) == 1 { // a union value {"full.Name": {...}} written by a schema with a union here
			if inner, ok := mm[n.name].(map[string]any); ok {
				return fn(inner, dst)
			}
		}
		for i := range plan {
			f := &plan[i]
			x, ok := mm[f.name]
			if !ok || (x == nil && f.viaPtr) { // null: leave a nil embedded pointer nil
				continue
			}
			if err := f.dec.fn(x, fieldForWrite(dst, f.index)); err != nil {
				return atField(err, f.name)
			}
		}
		return nil
	}
	bin := func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		if depth >= maxDepth {
			return nil, errorf("records nested deeper than %d", maxDepth)
		}
		var err error
		for i := range steps {
			f := &steps[i]
			if f.dec == nil {
				if b, err = skip(b, f.typ, depth+1); err != nil {
					return nil, atField(err, f.name)
				}
				continue
			}
			if f.viaPtr { // null: leave a nil embedded pointer nil
				if f.typ.kind == kNull {
					continue
				}
				if f.typ.kind == kUnion {
					i, rest, err := readIndex(b, len(f.typ.branches), f.typ)
					if err != nil {
						return nil, atField(err, f.name)
					}
					if f.typ.branches[i].kind == kNull {
						b = rest
						continue
					}
				}
			}
			switch f.op {
			case opString:
				var x []byte
				if x, b, err = readBytes(b, "string"); err != nil {
					return nil, atField(err, f.name)
				}
				*(*string)(f.fieldAt(p)) = string(x)
			case opLong, opMillis:
				var x int64
				if x, b, err = readLong(b); err != nil {
					return nil, atField(err, f.name)
				}
				if f.op == opLong {
					*(*int64)(f.fieldAt(p)) = x
				} else if x != 0 { // the epoch stands for the zero time.Time
					*(*time.Time)(f.fieldAt(p)) = fromTimestampMillis(x)
				}
			case opBool:
				var x bool
				if x, b, err = readBool(b); err != nil {
					return nil, atField(err, f.name)
				}
				*(*bool)(f.fieldAt(p)) = x
			default:
				if b, err = f.dec.bin(b, f.fieldAt(p), depth+1); err != nil {
					return nil, atField(err, f.name)
				}
			}
		}
		return b, nil
	}
	return fn, bin, nil
}

type unionDecBranch struct {
	name string
	dec  *decoder
}

// buildUnionDec fills a Go value from a native union value: nil (null) or
// {"<branch>": value}. A bare value (written by a schema that had no union
// here) goes to the first branch the Go type can hold.
func (m *Mapper) buildUnionDec(n *node, t reflect.Type) (decFn, binDecFn, error) {
	if t.Kind() == reflect.Interface {
		return m.buildIfaceDec(n, n.branches, t, true)
	}
	target := t
	isPtr := t.Kind() == reflect.Pointer
	if isPtr {
		target = t.Elem()
	}
	var branches []unionDecBranch
	byIndex := make([]*decoder, len(n.branches)) // nil: null, or not storable in t
	var firstErr error
	for i, b := range n.branches {
		if b.kind == kNull {
			continue
		}
		mark := len(m.undo)
		d, err := m.compileDec(b, target)
		if err != nil {
			m.rollback(mark)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		branches = append(branches, unionDecBranch{b.branch, d})
		byIndex[i] = d
	}
	if len(branches) == 0 {
		if firstErr != nil && len(n.branches) <= 2 {
			return nil, nil, firstErr
		}
		return nil, nil, cannotMap(n, t)
	}
	set := func(d *decoder, v any, dst reflect.Value) error {
		if !isPtr {
			return d.fn(v, dst)
		}
		p := reflect.New(target)
		if err := d.fn(v, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	notStorable := func(member string) error {
		return errorf("union member %s of %s cannot be stored in Go type %s", member, n, t)
	}
	return func(native any, dst reflect.Value) error {
			if native == nil {
				dst.SetZero()
				return nil
			}
			if mm, ok := native.(map[string]any); ok && len(mm) == 1 {
				for key, v := range mm {
					for i := range branches {
						if branches[i].name == key {
							return set(branches[i].dec, v, dst)
						}
					}
					for _, b := range n.branches {
						if b.branch == key {
							return notStorable(key)
						}
					}
				}
			}
			return set(branches[0].dec, native, dst)
		}, func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
			i, b, err := readIndex(b, len(n.branches), n)
			if err != nil {
				return nil, err
			}
			d := byIndex[i]
			if d == nil {
				if n.branches[i].kind == kNull {
					return b, nil // the zero value
				}
				return nil, notStorable(n.branches[i].branch)
			}
			if !isPtr {
				return d.bin(b, p, depth)
			}
			q := reflect.New(target).UnsafePointer()
			if b, err = d.bin(b, q, depth); err != nil {
				return nil, err
			}
			*(*unsafe.Pointer)(p) = q
			return b, nil
		}, nil
}

type ifaceDecBranch struct {
	name string
	typ  reflect.Type // as registered
	dec  *decoder
}

// buildIfaceDec fills an interface-typed Go field: the union branch name
// selects the registered Go type, a new value of it is filled and stored.
func (m *Mapper) buildIfaceDec(n *node, branches []*node, t reflect.Type, wrapped bool) (decFn, binDecFn, error) {
	var entries []ifaceDecBranch
	byIndex := make([]*ifaceDecBranch, len(branches))
	for i, b := range branches {
		if b.name == "" {
			continue
		}
		rt, ok := m.typeByName[b.name]
		if !ok {
			continue
		}
		if !rt.AssignableTo(t) {
			return nil, nil, errorf("Go type %s registered for %s does not implement %s", rt, b.name, t)
		}
		d, err := m.compileDec(b, rt)
		if err != nil {
			return nil, nil, prepend(err, "("+b.name+")")
		}
		entries = append(entries, ifaceDecBranch{b.name, rt, d})
		byIndex[i] = &ifaceDecBranch{b.name, rt, d}
	}
	// fill decodes a new value of e's type and stores it in dst.
	fill := func(e *ifaceDecBranch, b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		v := reflect.New(e.typ)
		b, err := e.dec.bin(b, v.UnsafePointer(), depth)
		if err != nil {
			return nil, err
		}
		reflect.NewAt(t, p).Elem().Set(v.Elem())
		return b, nil
	}
	if !wrapped {
		if len(entries) == 0 {
			return nil, nil, errorf("Go interface %s for avro %s: no Go type registered for %s (use avrostruct.WithUnionType)", t, n, n.name)
		}
		e := entries[0]
		return func(native any, dst reflect.Value) error {
				if native == nil {
					dst.SetZero()
					return nil
				}
				v := reflect.New(e.typ).Elem()
				if err := e.dec.fn(native, v); err != nil {
					return err
				}
				dst.Set(v)
				return nil
			}, func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
				return fill(&e, b, p, depth)
			}, nil
	}
	unregistered := func(member string) error {
		return errorf("no Go type registered for union member %s of %s (use avrostruct.WithUnionType)", member, n)
	}
	return func(native any, dst reflect.Value) error {
			if native == nil {
				dst.SetZero()
				return nil
			}
			mm, ok := native.(map[string]any)
			if !ok || len(mm) != 1 {
				return mismatch(n, native)
			}
			for key, x := range mm {
				for i := range entries {
					e := &entries[i]
					if e.name != key {
						continue
					}
					v := reflect.New(e.typ).Elem()
					if err := e.dec.fn(x, v); err != nil {
						return err
					}
					dst.Set(v)
					return nil
				}
				for _, b := range n.branches {
					if b.branch == key {
						return unregistered(key)
					}
				}
				return errorf("%q is not a member of %s", key, n)
			}
			return nil
		}, func(b []byte, p unsafe.Pointer, depth int) ([]byte, error) {
			i, b, err := readIndex(b, len(n.branches), n)
			if err != nil {
				return nil, err
			}
			if e := byIndex[i]; e != nil {
				return fill(e, b, p, depth)
			}
			if n.branches[i].kind == kNull {
				return b, nil // nil
			}
			return nil, unregistered(n.branches[i].branch)
		}, nil
}
