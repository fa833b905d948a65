package avrostruct

import (
	"reflect"
	"time"
	"unsafe"
)

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
