package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/orderlog/orderlog/order"
)

// Namespace is the Avro namespace of every orderlog record.
const Namespace = "orderlog"

// The Avro schemas are generated from the Go types of package order, so a
// field is named once (its json tag). The committed .avsc files are the
// generator's output; a test fails when they differ, and
// `go test ./schemas -run TestSchemasAreCurrent -update` rewrites them.
// Every field has a default so that readers using schema resolution (Java,
// Python) can read data written before the field existed.

// obj is a JSON object that keeps its keys in insertion order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	eventDataType = reflect.TypeFor[order.EventData]()
	cmdDataType   = reflect.TypeFor[order.CommandData]()
)

type generator struct {
	defined map[string]reflect.Type
	names   map[reflect.Type]string // top-level renames
	docs    map[reflect.Type]string
}

// generate renders the Avro schema of Go type t, named name.
func generate(t reflect.Type, name, doc string) (string, error) {
	g := &generator{defined: map[string]reflect.Type{}, names: map[reflect.Type]string{t: name}, docs: map[reflect.Type]string{t: doc}}
	s, err := g.schema(t)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return "", err
	}
	out.WriteByte('\n')
	return out.String(), nil
}

func (g *generator) schema(t reflect.Type) (any, error) {
	switch {
	case t == timeType:
		return obj{{"type", "long"}, {"logicalType", "timestamp-millis"}}, nil
	case t == eventDataType:
		return g.union(order.EventSamples())
	case t == cmdDataType:
		return g.union(order.CommandSamples())
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int64, reflect.Int:
		return "long", nil
	case reflect.Int32:
		return "int", nil
	case reflect.Float64:
		return "double", nil
	case reflect.Pointer:
		inner, err := g.schema(t.Elem())
		return []any{"null", inner}, err
	case reflect.Slice:
		items, err := g.schema(t.Elem())
		return obj{{"type", "array"}, {"items", items}}, err
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key of %s must be a string", t)
		}
		values, err := g.schema(t.Elem())
		return obj{{"type", "map"}, {"values", values}}, err
	case reflect.Struct:
		return g.record(t)
	}
	return nil, fmt.Errorf("no Avro type for Go type %s", t)
}

func (g *generator) union(samples any) (any, error) {
	v := reflect.ValueOf(samples)
	out := make([]any, 0, v.Len())
	for i := range v.Len() {
		s, err := g.schema(v.Index(i).Elem().Type())
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// recordName is t's record name: its Go name, or, when another Go type of
// that name is already in the schema (order.Shipment and
// fulfillment.Shipment in the saga state), its package's name in front.
func (g *generator) recordName(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	if other, ok := g.defined[t.Name()]; ok && other != t {
		pkg := path.Base(t.PkgPath())
		return strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
	}
	return t.Name()
}

func (g *generator) record(t reflect.Type) (any, error) {
	name := g.recordName(t)
	if _, ok := g.defined[name]; ok {
		return Namespace + "." + name, nil
	}
	g.defined[name] = t
	fields := []any{}
	for _, f := range jsonFields(t) {
		s, err := g.schema(f.typ)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.name, err)
		}
		field := obj{{"name", f.name}, {"type", s}}
		if f.typ != eventDataType && f.typ != cmdDataType {
			field = append(field, kv{"default", defaultOf(f.typ)})
		}
		fields = append(fields, field)
	}
	rec := obj{{"type", "record"}, {"name", name}, {"namespace", Namespace}}
	if d := g.docs[t]; d != "" {
		rec = append(rec, kv{"doc", d})
	}
	return append(rec, kv{"fields", fields}), nil
}

// defaultOf is the Avro default of a Go type: its zero value.
func defaultOf(t reflect.Type) any {
	if t == timeType {
		return 0
	}
	switch t.Kind() {
	case reflect.String:
		return ""
	case reflect.Bool:
		return false
	case reflect.Int64, reflect.Int, reflect.Int32, reflect.Float64:
		return 0
	case reflect.Pointer:
		return nil
	case reflect.Slice:
		return []any{}
	case reflect.Map:
		return map[string]any{}
	case reflect.Struct:
		d := obj{}
		for _, f := range jsonFields(t) {
			d = append(d, kv{f.name, defaultOf(f.typ)})
		}
		return d
	}
	return nil
}

type goField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists a struct's fields by json name, flattening embedded
// structs, skipping `json:"-"` and unexported fields.
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goField{name, f.Type})
	}
	return out
}
