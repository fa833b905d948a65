package avrostruct

import (
	"math"
	"reflect"
	"strings"
	"time"
)

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	epoch        = time.Unix(0, 0).UTC()
)

type encFn func(v reflect.Value) (any, error)

// encoder is a compiled Go-to-native plan for one (schema node, Go type).
// Plans refer to each other through *encoder so recursive records work.
type encoder struct{ fn encFn }

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
	fn, err := m.buildEnc(n, t)
	if err != nil {
		return nil, err // the caller rolls back
	}
	e.fn = fn
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

func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *(*time.Time)(v.Addr().UnsafePointer())
	}
	return v.Interface().(time.Time)
}

func (m *Mapper) buildEnc(n *node, t reflect.Type) (encFn, error) {
	if n.kind == kUnion {
		return m.buildUnionEnc(n, t)
	}
	if t.Kind() == reflect.Interface {
		return m.buildIfaceEnc(n, []*node{n}, t, false)
	}
	if n.kind == kNull {
		return func(reflect.Value) (any, error) { return nil, nil }, nil
	}
	if t.Kind() == reflect.Pointer {
		sub, err := m.compileEnc(n, t.Elem())
		if err != nil {
			return nil, err
		}
		return func(v reflect.Value) (any, error) {
			if v.IsNil() {
				return nil, errorf("nil %s for non-nullable avro %s", t, n)
			}
			return sub.fn(v.Elem())
		}, nil
	}

	switch n.logical {
	case "timestamp-millis", "timestamp-micros", "date":
		if t != timeType {
			return nil, cannotMap(n, t)
		}
		return func(v reflect.Value) (any, error) {
			tm := timeOf(v)
			if tm.IsZero() {
				return epoch, nil
			}
			return tm, nil
		}, nil
	case "time-millis", "time-micros":
		if t != durationType {
			return nil, cannotMap(n, t)
		}
		return func(v reflect.Value) (any, error) { return time.Duration(v.Int()), nil }, nil
	case "decimal":
		return nil, errorf("avro %s with logicalType decimal is not supported", n)
	}

	k := t.Kind()
	switch n.kind {
	case kBoolean:
		if k == reflect.Bool {
			return func(v reflect.Value) (any, error) { return v.Bool(), nil }, nil
		}
	case kInt:
		if isSigned(k) {
			return func(v reflect.Value) (any, error) {
				i := v.Int()
				if i < math.MinInt32 || i > math.MaxInt32 {
					return nil, errorf("%d overflows avro int", i)
				}
				return int32(i), nil
			}, nil
		}
		if isInt(k) {
			return func(v reflect.Value) (any, error) {
				u := v.Uint()
				if u > math.MaxInt32 {
					return nil, errorf("%d overflows avro int", u)
				}
				return int32(u), nil
			}, nil
		}
	case kLong:
		if isSigned(k) {
			return func(v reflect.Value) (any, error) { return v.Int(), nil }, nil
		}
		if isInt(k) {
			return func(v reflect.Value) (any, error) {
				u := v.Uint()
				if u > math.MaxInt64 {
					return nil, errorf("%d overflows avro long", u)
				}
				return int64(u), nil
			}, nil
		}
	case kFloat:
		if k == reflect.Float32 {
			return func(v reflect.Value) (any, error) { return float32(v.Float()), nil }, nil
		}
	case kDouble:
		if k == reflect.Float64 || k == reflect.Float32 {
			return func(v reflect.Value) (any, error) { return v.Float(), nil }, nil
		}
	case kString:
		if k == reflect.String {
			return func(v reflect.Value) (any, error) { return v.String(), nil }, nil
		}
	case kEnum:
		if k == reflect.String {
			return func(v reflect.Value) (any, error) {
				s := v.String()
				if i, ok := n.symIndex[s]; ok {
					return n.boxedSym[i], nil
				}
				return nil, errorf("%q is not a symbol of enum %s (want one of %s)", s, n.name, strings.Join(n.symbols, ", "))
			}, nil
		}
	case kBytes:
		if isByteSlice(t) {
			return func(v reflect.Value) (any, error) { return v.Bytes(), nil }, nil
		}
	case kFixed:
		if isByteSlice(t) {
			return func(v reflect.Value) (any, error) {
				b := v.Bytes()
				if len(b) != n.size {
					return nil, errorf("%d bytes for %s", len(b), n)
				}
				return b, nil
			}, nil
		}
		if k == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Len() == n.size {
			return func(v reflect.Value) (any, error) {
				out := make([]byte, n.size)
				reflect.Copy(reflect.ValueOf(out), v)
				return out, nil
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
				return nil, atElem(err)
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
			}, nil
		}
	case kMap:
		if k == reflect.Map && t.Key().Kind() == reflect.String {
			sub, err := m.compileEnc(n.items, t.Elem())
			if err != nil {
				return nil, atElem(err)
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
			}, nil
		}
	}
	return nil, cannotMap(n, t)
}

type encField struct {
	name   string
	index  []int
	typ    reflect.Type
	enc    *encoder // nil: use def
	def    any
	copyIt bool // def is mutable: copy it each time
}

func (m *Mapper) buildRecordEnc(n *node, t reflect.Type) (encFn, error) {
	gfs := m.structFields(t)
	byName := make(map[string]*goField, len(gfs))
	for i := range gfs {
		byName[gfs[i].name] = &gfs[i]
	}
	var problems []string
	plan := make([]encField, 0, len(n.fields))
	for _, sf := range n.fields {
		gf, ok := byName[sf.name]
		if !ok {
			if !sf.hasDefault {
				problems = append(problems, "record "+n.name+" field \""+sf.name+"\" has no Go field in "+t.String()+
					" (add a field tagged `json:\""+sf.name+"\"` or give the schema field a default)")
				continue
			}
			plan = append(plan, encField{name: sf.name, def: sf.defNative, copyIt: isMutable(sf.defNative)})
			continue
		}
		sub, err := m.compileEnc(sf.typ, gf.typ)
		if err != nil {
			return nil, atField(err, sf.name)
		}
		plan = append(plan, encField{name: sf.name, index: gf.index, typ: gf.typ, enc: sub})
	}
	inSchema := make(map[string]bool, len(n.fields))
	for _, sf := range n.fields {
		inSchema[sf.name] = true
	}
	for _, gf := range gfs {
		if !inSchema[gf.name] {
			problems = append(problems, "Go field "+t.String()+"."+gf.goName+" (\""+gf.name+"\") has no field in record "+n.name+
				" (add it to the schema or tag the Go field `avro:\"-\"`)")
		}
	}
	if len(problems) > 0 {
		return nil, errorf("%s", strings.Join(problems, "; "))
	}
	return func(v reflect.Value) (any, error) {
		out := make(map[string]any, len(plan))
		for i := range plan {
			f := &plan[i]
			if f.enc == nil {
				if f.copyIt {
					out[f.name] = copyNative(f.def)
				} else {
					out[f.name] = f.def
				}
				continue
			}
			x, err := f.enc.fn(fieldForRead(v, f.index, f.typ))
			if err != nil {
				return nil, atField(err, f.name)
			}
			out[f.name] = x
		}
		return out, nil
	}, nil
}

// buildUnionEnc maps a Go type onto a union. The Go value picks the branch:
//   - an interface: by its dynamic type, through the WithUnionType registry;
//   - a pointer, slice or map: nil is null, anything else the first branch
//     that the Go type (the pointee, for a pointer) can be mapped to;
//   - any other type: its zero value is null when the union has null,
//     anything else that first mappable branch.
func (m *Mapper) buildUnionEnc(n *node, t reflect.Type) (encFn, error) {
	if t.Kind() == reflect.Interface {
		return m.buildIfaceEnc(n, n.branches, t, true)
	}
	target := t
	if t.Kind() == reflect.Pointer {
		target = t.Elem()
	}
	var branch *node
	var sub *encoder
	var firstErr error
	for _, b := range n.branches {
		if b.kind == kNull {
			continue
		}
		mark := len(m.undo)
		e, err := m.compileEnc(b, target)
		if err != nil {
			m.rollback(mark)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		branch, sub = b, e
		break
	}
	if branch == nil {
		if firstErr != nil && len(n.branches) <= 2 {
			return nil, firstErr // one candidate: its error says more
		}
		return nil, cannotMap(n, t)
	}
	name := branch.branch
	wrap := func(v reflect.Value) (any, error) {
		x, err := sub.fn(v)
		if err != nil {
			return nil, err
		}
		return map[string]any{name: x}, nil
	}
	null := func() (any, error) {
		if !n.hasNull {
			return nil, errorf("nil %s for %s, which has no null", t, n)
		}
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return func(v reflect.Value) (any, error) {
			if v.IsNil() {
				return null()
			}
			return wrap(v.Elem())
		}, nil
	case reflect.Slice, reflect.Map:
		return func(v reflect.Value) (any, error) {
			if v.IsNil() {
				return null()
			}
			return wrap(v)
		}, nil
	}
	if !n.hasNull {
		return wrap, nil
	}
	if t == timeType { // a zero time.Time is null here, not the epoch
		return func(v reflect.Value) (any, error) {
			if timeOf(v).IsZero() {
				return nil, nil
			}
			return wrap(v)
		}, nil
	}
	return func(v reflect.Value) (any, error) {
		if v.IsZero() {
			return nil, nil
		}
		return wrap(v)
	}, nil
}

type ifaceBranch struct {
	typ  reflect.Type // dynamic type accepted: T or *T
	ptr  bool
	name string
	enc  *encoder
}

// buildIfaceEnc maps an interface-typed Go field onto named schema types
// through the WithUnionType registry. wrap is false for a lone named type
// (not a union), whose native form carries no branch name.
func (m *Mapper) buildIfaceEnc(n *node, branches []*node, t reflect.Type, wrap bool) (encFn, error) {
	var entries []ifaceBranch
	for _, b := range branches {
		if b.name == "" {
			continue
		}
		rt, ok := m.typeByName[b.name]
		if !ok {
			continue
		}
		base := rt
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		e, err := m.compileEnc(b, base)
		if err != nil {
			return nil, prepend(err, "("+b.name+")")
		}
		entries = append(entries,
			ifaceBranch{typ: base, name: b.name, enc: e},
			ifaceBranch{typ: reflect.PointerTo(base), ptr: true, name: b.name, enc: e})
	}
	if !wrap && len(entries) == 0 {
		return nil, errorf("Go interface %s for avro %s: no Go type registered for %s (use avrostruct.WithUnionType)", t, n, n.name)
	}
	null := func() (any, error) {
		if !n.hasNull {
			return nil, errorf("nil %s for avro %s, which has no null", t, n)
		}
		return nil, nil
	}
	return func(v reflect.Value) (any, error) {
		if v.IsNil() {
			return null()
		}
		dv := v.Elem()
		dt := dv.Type()
		for i := range entries {
			e := &entries[i]
			if e.typ != dt {
				continue
			}
			if e.ptr {
				if dv.IsNil() {
					return null()
				}
				dv = dv.Elem()
			}
			x, err := e.enc.fn(dv)
			if err != nil {
				return nil, err
			}
			if !wrap {
				return x, nil
			}
			return map[string]any{e.name: x}, nil
		}
		if name, ok := m.nameByType[dt]; ok {
			return nil, errorf("Go type %s is registered as %s, which is not in %s", dt, name, n)
		}
		return nil, errorf("Go type %s is not registered for %s (use avrostruct.WithUnionType)", dt, n)
	}, nil
}
