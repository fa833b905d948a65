package avrostruct

import (
	"reflect"
	"sort"
	"strings"
)

// goField is one struct field as seen by the mapping, after flattening
// embedded structs the way encoding/json does.
type goField struct {
	name   string       // Avro field name
	goName string       // Go selector for error messages, e.g. "Base.ID"
	index  []int        // reflect index path
	typ    reflect.Type // field type
	viaPtr bool         // the path goes through an embedded pointer
	tagged bool         // the name came from a tag
	depth  int
}

// tagName returns the mapped name of a struct field: the avro tag, else the
// json tag, else "" (meaning: the Go name). skip is true for "-".
func tagName(sf reflect.StructField) (name string, tagged, skip bool) {
	for _, key := range [...]string{"avro", "json"} {
		tag, ok := sf.Tag.Lookup(key)
		if !ok {
			continue
		}
		if tag == "-" {
			return "", false, true
		}
		name, _, _ = strings.Cut(tag, ",")
		if name != "" {
			return name, true, false
		}
	}
	return "", false, false
}

// structFields lists the mapped fields of struct type t, flattening
// embedded structs with encoding/json's rules: the shallowest field of a name
// wins, then a tagged one; a tie is dropped.
func structFields(t reflect.Type) []goField {
	type level struct {
		typ    reflect.Type
		index  []int
		viaPtr bool
		prefix string
	}
	var all []goField
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, lv := range current {
			if visited[lv.typ] {
				continue
			}
			visited[lv.typ] = true
			for i := 0; i < lv.typ.NumField(); i++ {
				sf := lv.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				name, tagged, skip := tagName(sf)
				if skip {
					continue
				}
				index := append(append([]int(nil), lv.index...), i)
				if sf.Anonymous && !tagged {
					ft, isPtr := sf.Type, false
					if ft.Kind() == reflect.Pointer {
						ft, isPtr = ft.Elem(), true
					}
					if ft.Kind() == reflect.Struct {
						if isPtr && !sf.IsExported() {
							continue // cannot allocate it when decoding
						}
						next = append(next, level{ft, index, lv.viaPtr || isPtr, lv.prefix + sf.Name + "."})
						continue
					}
				}
				if name == "" {
					name = sf.Name
				}
				all = append(all, goField{
					name: name, goName: lv.prefix + sf.Name, index: index, typ: sf.Type,
					viaPtr: lv.viaPtr, tagged: tagged, depth: depth,
				})
			}
		}
	}

	byName := map[string][]goField{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	out := make([]goField, 0, len(byName))
	for _, fs := range byName {
		if len(fs) == 1 {
			out = append(out, fs[0])
			continue
		}
		sort.SliceStable(fs, func(i, j int) bool {
			if fs[i].depth != fs[j].depth {
				return fs[i].depth < fs[j].depth
			}
			return fs[i].tagged && !fs[j].tagged
		})
		if fs[0].depth == fs[1].depth && fs[0].tagged == fs[1].tagged {
			continue // ambiguous: dropped, as encoding/json does
		}
		out = append(out, fs[0])
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].index, out[j].index
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return out
}

// fieldForRead returns field f of struct v for encoding. A nil embedded
// pointer on the way yields the field's zero value.
func fieldForRead(v reflect.Value, index []int, typ reflect.Type) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Zero(typ)
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// fieldForWrite returns field f of struct v for decoding, allocating nil
// embedded pointers on the way.
func fieldForWrite(v reflect.Value, index []int) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}
