package avrostruct

import (
	"reflect"
	"unsafe"
)

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
