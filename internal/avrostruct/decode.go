package avrostruct

import (
	"reflect"
	"time"
)

type decFn func(native any, dst reflect.Value) error

// decoder is a compiled native-to-Go plan for one (schema node, Go type).
// dst is always settable.
type decoder struct{ fn decFn }

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
	fn, err := m.buildDec(n, t)
	if err != nil {
		return nil, err
	}
	d.fn = fn
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

func (m *Mapper) buildDec(n *node, t reflect.Type) (decFn, error) {
	if n.kind == kUnion {
		return m.buildUnionDec(n, t)
	}
	if t.Kind() == reflect.Interface {
		return m.buildIfaceDec(n, []*node{n}, t, false)
	}
	if n.kind == kNull {
		return func(any, reflect.Value) error { return nil }, nil
	}
	if t.Kind() == reflect.Pointer {
		sub, err := m.compileDec(n, t.Elem())
		if err != nil {
			return nil, err
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
		}, nil
	}
	var fn decFn
	switch n.logical {
	case "timestamp-millis", "timestamp-micros", "date":
		if t != timeType {
			return nil, cannotMap(n, t)
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
		return fn, nil
	case "time-millis", "time-micros":
		if t != durationType {
			return nil, cannotMap(n, t)
		}
		unit := time.Millisecond
		if n.logical == "time-micros" {
			unit = time.Microsecond
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
		return fn, nil
	case "decimal":
		return nil, errorf("avro %s with logicalType decimal is not supported", n)
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
		}
	case kRecord:
		if k == reflect.Struct && t != timeType {
			return m.buildRecordDec(n, t)
		}
	case kArray:
		if k == reflect.Slice {
			sub, err := m.compileDec(n.items, t.Elem())
			if err != nil {
				return nil, atElem(err)
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
		}
	case kMap:
		if k == reflect.Map && t.Key().Kind() == reflect.String {
			sub, err := m.compileDec(n.items, t.Elem())
			if err != nil {
				return nil, atElem(err)
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
		}
	}
	if fn == nil {
		return nil, cannotMap(n, t)
	}
	return fn, nil
}

type decField struct {
	name   string
	index  []int
	viaPtr bool
	dec    *decoder
}

// buildRecordDec fills a struct from a native record. It is tolerant of
// schema evolution: schema fields without a Go field are skipped, Go fields
// without a schema field, or absent from the native record, keep their value.
func (m *Mapper) buildRecordDec(n *node, t reflect.Type) (decFn, error) {
	gfs := m.structFields(t)
	byName := make(map[string]*goField, len(gfs))
	for i := range gfs {
		byName[gfs[i].name] = &gfs[i]
	}
	plan := make([]decField, 0, len(n.fields))
	for _, sf := range n.fields {
		gf, ok := byName[sf.name]
		if !ok {
			continue
		}
		sub, err := m.compileDec(sf.typ, gf.typ)
		if err != nil {
			return nil, atField(err, sf.name)
		}
		plan = append(plan, decField{name: sf.name, index: gf.index, viaPtr: gf.viaPtr, dec: sub})
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
	return fn, nil
}

type unionDecBranch struct {
	name string
	dec  *decoder
}

// buildUnionDec fills a Go value from a native union value: nil (null) or
// {"<branch>": value}. A bare value (written by a schema that had no union
// here) goes to the first branch the Go type can hold.
func (m *Mapper) buildUnionDec(n *node, t reflect.Type) (decFn, error) {
	if t.Kind() == reflect.Interface {
		return m.buildIfaceDec(n, n.branches, t, true)
	}
	target := t
	isPtr := t.Kind() == reflect.Pointer
	if isPtr {
		target = t.Elem()
	}
	var branches []unionDecBranch
	var firstErr error
	for _, b := range n.branches {
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
	}
	if len(branches) == 0 {
		if firstErr != nil && len(n.branches) <= 2 {
			return nil, firstErr
		}
		return nil, cannotMap(n, t)
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
						return errorf("union member %s of %s cannot be stored in Go type %s", key, n, t)
					}
				}
			}
		}
		return set(branches[0].dec, native, dst)
	}, nil
}

type ifaceDecBranch struct {
	name string
	typ  reflect.Type // as registered
	dec  *decoder
}

// buildIfaceDec fills an interface-typed Go field: the union branch name
// selects the registered Go type, a new value of it is filled and stored.
func (m *Mapper) buildIfaceDec(n *node, branches []*node, t reflect.Type, wrapped bool) (decFn, error) {
	var entries []ifaceDecBranch
	for _, b := range branches {
		if b.name == "" {
			continue
		}
		rt, ok := m.typeByName[b.name]
		if !ok {
			continue
		}
		if !rt.AssignableTo(t) {
			return nil, errorf("Go type %s registered for %s does not implement %s", rt, b.name, t)
		}
		d, err := m.compileDec(b, rt)
		if err != nil {
			return nil, prepend(err, "("+b.name+")")
		}
		entries = append(entries, ifaceDecBranch{b.name, rt, d})
	}
	if !wrapped {
		if len(entries) == 0 {
			return nil, errorf("Go interface %s for avro %s: no Go type registered for %s (use avrostruct.WithUnionType)", t, n, n.name)
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
		}, nil
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
					return errorf("no Go type registered for union member %s of %s (use avrostruct.WithUnionType)", key, n)
				}
			}
			return errorf("%q is not a member of %s", key, n)
		}
		return nil
	}, nil
}
