package avrostruct

import (
	"reflect"
	"strings"
)

type encField struct {
	name   string
	index  []int
	typ    reflect.Type
	enc    *encoder // nil: use def
	def    any
	defBin []byte // def in Avro binary
	copyIt bool   // def is mutable: copy it each time
}

func (m *Mapper) buildRecordEnc(n *node, t reflect.Type) (encFn, binEncFn, error) {
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
			defBin, err := appendNative(nil, sf.typ, sf.defNative)
			if err != nil {
				return nil, nil, atField(err, sf.name)
			}
			plan = append(plan, encField{name: sf.name, def: sf.defNative, defBin: defBin, copyIt: isMutable(sf.defNative)})
			continue
		}
		sub, err := m.compileEnc(sf.typ, gf.typ)
		if err != nil {
			return nil, nil, atField(err, sf.name)
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
		return nil, nil, errorf("%s", strings.Join(problems, "; "))
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
		}, func(b []byte, v reflect.Value) ([]byte, error) {
			for i := range plan {
				f := &plan[i]
				if f.enc == nil {
					b = append(b, f.defBin...)
					continue
				}
				var err error
				if b, err = f.enc.bin(b, fieldForRead(v, f.index, f.typ)); err != nil {
					return nil, atField(err, f.name)
				}
			}
			return b, nil
		}, nil
}

// nullIndex is the index of a union's null member, -1 if none.
func nullIndex(n *node) int {
	for i, b := range n.branches {
		if b.kind == kNull {
			return i
		}
	}
	return -1
}

// buildUnionEnc maps a Go type onto a union. The Go value picks the branch:
//   - an interface: by its dynamic type, through the WithUnionType registry;
//   - a pointer, slice or map: nil is null, anything else the first branch
//     that the Go type (the pointee, for a pointer) can be mapped to;
//   - any other type: its zero value is null when the union has null,
//     anything else that first mappable branch.
func (m *Mapper) buildUnionEnc(n *node, t reflect.Type) (encFn, binEncFn, error) {
	if t.Kind() == reflect.Interface {
		return m.buildIfaceEnc(n, n.branches, t, true)
	}
	target := t
	if t.Kind() == reflect.Pointer {
		target = t.Elem()
	}
	var branch *node
	var index int
	var sub *encoder
	var firstErr error
	for i, b := range n.branches {
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
		branch, index, sub = b, i, e
		break
	}
	if branch == nil {
		if firstErr != nil && len(n.branches) <= 2 {
			return nil, nil, firstErr // one candidate: its error says more
		}
		return nil, nil, cannotMap(n, t)
	}
	name := branch.branch
	wrap := func(v reflect.Value) (any, error) {
		x, err := sub.fn(v)
		if err != nil {
			return nil, err
		}
		return map[string]any{name: x}, nil
	}
	wrapBin := func(b []byte, v reflect.Value) ([]byte, error) {
		return sub.bin(appendLong(b, int64(index)), v)
	}
	nullIdx := int64(nullIndex(n))
	noNull := func() error { return errorf("nil %s for %s, which has no null", t, n) }
	null := func() (any, error) {
		if !n.hasNull {
			return nil, noNull()
		}
		return nil, nil
	}
	nullBin := func(b []byte) ([]byte, error) {
		if !n.hasNull {
			return nil, noNull()
		}
		return appendLong(b, nullIdx), nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return func(v reflect.Value) (any, error) {
				if v.IsNil() {
					return null()
				}
				return wrap(v.Elem())
			}, func(b []byte, v reflect.Value) ([]byte, error) {
				if v.IsNil() {
					return nullBin(b)
				}
				return wrapBin(b, v.Elem())
			}, nil
	case reflect.Slice, reflect.Map:
		return func(v reflect.Value) (any, error) {
				if v.IsNil() {
					return null()
				}
				return wrap(v)
			}, func(b []byte, v reflect.Value) ([]byte, error) {
				if v.IsNil() {
					return nullBin(b)
				}
				return wrapBin(b, v)
			}, nil
	}
	if !n.hasNull {
		return wrap, wrapBin, nil
	}
	if t == timeType { // a zero time.Time is null here, not the epoch
		return func(v reflect.Value) (any, error) {
				if timeOf(v).IsZero() {
					return nil, nil
				}
				return wrap(v)
			}, func(b []byte, v reflect.Value) ([]byte, error) {
				if timeOf(v).IsZero() {
					return appendLong(b, nullIdx), nil
				}
				return wrapBin(b, v)
			}, nil
	}
	return func(v reflect.Value) (any, error) {
			if v.IsZero() {
				return nil, nil
			}
			return wrap(v)
		}, func(b []byte, v reflect.Value) ([]byte, error) {
			if v.IsZero() {
				return appendLong(b, nullIdx), nil
			}
			return wrapBin(b, v)
		}, nil
}

type ifaceBranch struct {
	typ   reflect.Type // dynamic type accepted: T or *T
	ptr   bool
	name  string
	index int // of the branch in the union
	enc   *encoder
}

// buildIfaceEnc maps an interface-typed Go field onto named schema types
// through the WithUnionType registry. wrap is false for a lone named type
// (not a union), whose native form carries no branch name.
func (m *Mapper) buildIfaceEnc(n *node, branches []*node, t reflect.Type, wrap bool) (encFn, binEncFn, error) {
	var entries []ifaceBranch
	for i, b := range branches {
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
			return nil, nil, prepend(err, "("+b.name+")")
		}
		entries = append(entries,
			ifaceBranch{typ: base, name: b.name, index: i, enc: e},
			ifaceBranch{typ: reflect.PointerTo(base), ptr: true, name: b.name, index: i, enc: e})
	}
	if !wrap && len(entries) == 0 {
		return nil, nil, errorf("Go interface %s for avro %s: no Go type registered for %s (use avrostruct.WithUnionType)", t, n, n.name)
	}
	noNull := func() error { return errorf("nil %s for avro %s, which has no null", t, n) }
	// pick finds the plan for the dynamic value of v; e == nil means null.
	pick := func(v reflect.Value) (e *ifaceBranch, dv reflect.Value, err error) {
		if v.IsNil() {
			if !n.hasNull {
				return nil, dv, noNull()
			}
			return nil, dv, nil
		}
		dv = v.Elem()
		dt := dv.Type()
		for i := range entries {
			e := &entries[i]
			if e.typ != dt {
				continue
			}
			if e.ptr {
				if dv.IsNil() {
					if !n.hasNull {
						return nil, dv, noNull()
					}
					return nil, dv, nil
				}
				dv = dv.Elem()
			}
			return e, dv, nil
		}
		if name, ok := m.nameByType[dt]; ok {
			return nil, dv, errorf("Go type %s is registered as %s, which is not in %s", dt, name, n)
		}
		return nil, dv, errorf("Go type %s is not registered for %s (use avrostruct.WithUnionType)", dt, n)
	}
	nullIdx := int64(nullIndex(n))
	return func(v reflect.Value) (any, error) {
			e, dv, err := pick(v)
			if err != nil || e == nil {
				return nil, err
			}
			x, err := e.enc.fn(dv)
			if err != nil {
				return nil, err
			}
			if !wrap {
				return x, nil
			}
			return map[string]any{e.name: x}, nil
		}, func(b []byte, v reflect.Value) ([]byte, error) {
			e, dv, err := pick(v)
			if err != nil {
				return nil, err
			}
			if e == nil {
				return appendLong(b, nullIdx), nil // wrap: a lone record has no null
			}
			if wrap {
				b = appendLong(b, int64(e.index))
			}
			return e.enc.bin(b, dv)
		}, nil
}
