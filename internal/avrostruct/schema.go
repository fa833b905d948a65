package avrostruct

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// kind is the Avro type of a schema node.
type kind uint8

const (
	kNull kind = iota
	kBoolean
	kInt
	kLong
	kFloat
	kDouble
	kBytes
	kString
	kRecord
	kEnum
	kArray
	kMap
	kFixed
	kUnion
)

var primitiveKinds = map[string]kind{
	"null":    kNull,
	"boolean": kBoolean,
	"int":     kInt,
	"long":    kLong,
	"float":   kFloat,
	"double":  kDouble,
	"bytes":   kBytes,
	"string":  kString,
}

// Logical types goavro converts to Go values of its own (keyed like goavro's
// symbol table: "<base>.<logicalType>"). Any other logicalType is ignored by
// goavro, and so here too.
var knownLogical = map[string]bool{
	"long.timestamp-millis": true, // time.Time
	"long.timestamp-micros": true, // time.Time
	"int.date":              true, // time.Time
	"int.time-millis":       true, // time.Duration
	"long.time-micros":      true, // time.Duration
	"bytes.decimal":         true, // *big.Rat: not supported here
	"fixed.decimal":         true, // *big.Rat: not supported here
}

// node is one parsed schema type.
type node struct {
	kind    kind
	name    string // full name of a record, enum or fixed
	logical string // recognised logicalType, "" if none
	branch  string // the key goavro uses for this type inside a union

	fields   []*field       // record
	symbols  []string       // enum
	symIndex map[string]int // enum
	boxedSym []any          // enum symbols, pre-boxed to save an allocation per value
	size     int            // fixed
	items    *node          // array items, map values
	branches []*node        // union members
	hasNull  bool           // union has a "null" member
	minSize  int            // the fewest bytes a value encodes to (setMinSizes)
}

type field struct {
	name       string
	typ        *node
	hasDefault bool
	rawDefault any // the JSON default, numbers as json.Number
	defNative  any // the default converted to goavro's native form
}

// String describes the node for error messages: "long", "record a.B",
// "union [null, string]".
func (n *node) String() string {
	switch n.kind {
	case kRecord:
		return "record " + n.name
	case kEnum:
		return "enum " + n.name
	case kFixed:
		return fmt.Sprintf("fixed %s(%d)", n.name, n.size)
	case kArray:
		return "array<" + n.items.String() + ">"
	case kMap:
		return "map<" + n.items.String() + ">"
	case kUnion:
		names := make([]string, len(n.branches))
		for i, b := range n.branches {
			names[i] = b.branch
		}
		return "union [" + strings.Join(names, ", ") + "]"
	}
	return n.branch // "long", or "long.timestamp-millis" with a logical type
}

type parser struct {
	named    map[string]*node
	defaults []*field
}

// parseSchema parses schema JSON the way goavro.NewCodec does, as far as the
// mapping needs it.
func parseSchema(schemaJSON string) (*node, error) {
	dec := json.NewDecoder(strings.NewReader(schemaJSON))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("avrostruct: schema is not valid JSON: %w", err)
	}
	p := &parser{named: map[string]*node{}}
	root, err := p.parse(raw, "")
	if err != nil {
		return nil, fmt.Errorf("avrostruct: schema: %w", err)
	}
	for _, f := range p.defaults {
		v, err := defaultNative(f.typ, f.rawDefault)
		if err != nil {
			return nil, fmt.Errorf("avrostruct: schema: default of field %q: %w", f.name, err)
		}
		f.defNative = v
	}
	setMinSizes(root, map[*node]bool{})
	return root, nil
}

func (p *parser) parse(s any, ns string) (*node, error) {
	switch x := s.(type) {
	case string:
		return p.ref(x, ns)
	case []any:
		return p.union(x, ns)
	case map[string]any:
		switch t := x["type"].(type) {
		case string:
			return p.typed(t, x, ns)
		case map[string]any, []any:
			return p.parse(t, ns)
		case nil:
			return nil, fmt.Errorf("missing type in %v", x)
		default:
			return nil, fmt.Errorf("type must be a string, object or array, got %T", t)
		}
	default:
		return nil, fmt.Errorf("unknown schema element %T", s)
	}
}

func primitive(name string) *node {
	return &node{kind: primitiveKinds[name], branch: name}
}

// ref resolves a type name: a primitive, or a named type defined earlier.
// Like goavro, the name is first tried as written, then in the enclosing
// namespace.
func (p *parser) ref(name, ns string) (*node, error) {
	if _, ok := primitiveKinds[name]; ok {
		return primitive(name), nil
	}
	if n, ok := p.named[name]; ok {
		return n, nil
	}
	if ns != "" {
		if n, ok := p.named[ns+"."+name]; ok {
			return n, nil
		}
	}
	return nil, fmt.Errorf("unknown type name %q", name)
}

func (p *parser) typed(t string, m map[string]any, ns string) (*node, error) {
	switch t {
	case "record", "error":
		return p.record(m, ns)
	case "enum":
		return p.enum(m, ns)
	case "fixed":
		return p.fixed(m, ns)
	case "array", "map":
		key := "items"
		k := kArray
		if t == "map" {
			key, k = "values", kMap
		}
		raw, ok := m[key]
		if !ok {
			return nil, fmt.Errorf("%s without %q", t, key)
		}
		items, err := p.parse(raw, ns)
		if err != nil {
			return nil, err
		}
		return &node{kind: k, branch: t, items: items}, nil
	}
	if _, ok := primitiveKinds[t]; ok {
		n := primitive(t)
		if lt, ok := m["logicalType"].(string); ok && knownLogical[t+"."+lt] {
			n.logical = lt
			n.branch = t + "." + lt
		}
		return n, nil
	}
	return p.ref(t, ns)
}

// fullName computes a named type's full name and the namespace its children
// inherit, following goavro (an empty "namespace" means "inherit").
func fullName(m map[string]any, ns string) (string, string, error) {
	name, _ := m["name"].(string)
	if name == "" {
		return "", "", fmt.Errorf("named type without a name: %v", m)
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name, name[:i], nil
	}
	if own, _ := m["namespace"].(string); own != "" {
		return own + "." + name, own, nil
	}
	if ns != "" {
		return ns + "." + name, ns, nil
	}
	return name, "", nil
}

func (p *parser) register(n *node) error {
	if _, ok := p.named[n.name]; ok {
		return fmt.Errorf("type %q defined twice", n.name)
	}
	if _, ok := primitiveKinds[n.name]; ok {
		return fmt.Errorf("type name %q is a primitive type", n.name)
	}
	p.named[n.name] = n
	return nil
}

func (p *parser) record(m map[string]any, ns string) (*node, error) {
	name, childNS, err := fullName(m, ns)
	if err != nil {
		return nil, err
	}
	n := &node{kind: kRecord, name: name, branch: name}
	if err := p.register(n); err != nil { // before the fields: records may recurse
		return nil, err
	}
	rawFields, ok := m["fields"].([]any)
	if !ok {
		return nil, fmt.Errorf("record %s: fields must be an array", name)
	}
	seen := map[string]bool{}
	for i, rf := range rawFields {
		fm, ok := rf.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("record %s: field %d is not an object", name, i)
		}
		fname, _ := fm["name"].(string)
		if fname == "" {
			return nil, fmt.Errorf("record %s: field %d has no name", name, i)
		}
		if seen[fname] {
			return nil, fmt.Errorf("record %s: field %q defined twice", name, fname)
		}
		seen[fname] = true
		// goavro builds the field's type from the field object itself, so a
		// logicalType next to "type" in the field object counts.
		typ, err := p.parse(fm, childNS)
		if err != nil {
			return nil, fmt.Errorf("record %s field %q: %w", name, fname, err)
		}
		f := &field{name: fname, typ: typ}
		if d, ok := fm["default"]; ok {
			f.hasDefault, f.rawDefault = true, d
			p.defaults = append(p.defaults, f)
		}
		n.fields = append(n.fields, f)
	}
	return n, nil
}

func (p *parser) enum(m map[string]any, ns string) (*node, error) {
	name, _, err := fullName(m, ns)
	if err != nil {
		return nil, err
	}
	n := &node{kind: kEnum, name: name, branch: name, symIndex: map[string]int{}}
	rawSyms, ok := m["symbols"].([]any)
	if !ok || len(rawSyms) == 0 {
		return nil, fmt.Errorf("enum %s: symbols must be a non-empty array", name)
	}
	for _, rs := range rawSyms {
		s, ok := rs.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("enum %s: symbols must be non-empty strings", name)
		}
		if _, dup := n.symIndex[s]; dup {
			return nil, fmt.Errorf("enum %s: symbol %q listed twice", name, s)
		}
		n.symIndex[s] = len(n.symbols)
		n.symbols = append(n.symbols, s)
		n.boxedSym = append(n.boxedSym, s)
	}
	return n, p.register(n)
}

func (p *parser) fixed(m map[string]any, ns string) (*node, error) {
	name, _, err := fullName(m, ns)
	if err != nil {
		return nil, err
	}
	num, _ := m["size"].(json.Number)
	size, err := num.Int64()
	if err != nil || size <= 0 || size > math.MaxInt32 {
		return nil, fmt.Errorf("fixed %s: size must be a positive integer", name)
	}
	n := &node{kind: kFixed, name: name, branch: name, size: int(size)}
	if lt, _ := m["logicalType"].(string); lt == "decimal" {
		n.logical = lt
	}
	return n, p.register(n)
}

func (p *parser) union(members []any, ns string) (*node, error) {
	n := &node{kind: kUnion, branch: "union"}
	seen := map[string]bool{}
	for _, raw := range members {
		b, err := p.parse(raw, ns)
		if err != nil {
			return nil, err
		}
		if b.kind == kUnion {
			return nil, fmt.Errorf("union directly inside a union")
		}
		if seen[b.branch] {
			return nil, fmt.Errorf("union lists %s twice", b.branch)
		}
		seen[b.branch] = true
		if b.kind == kNull {
			n.hasNull = true
		}
		n.branches = append(n.branches, b)
	}
	if len(n.branches) == 0 {
		return nil, fmt.Errorf("empty union")
	}
	return n, nil
}

// defaultNative converts a field's JSON default to goavro's native form.
func defaultNative(n *node, raw any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("%v is not a valid default for %s", raw, n) }
	switch n.kind {
	case kNull:
		if raw != nil {
			return bad()
		}
		return nil, nil
	case kBoolean:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		return bad()
	case kInt, kLong:
		num, ok := raw.(json.Number)
		if !ok {
			return bad()
		}
		i, err := num.Int64()
		if err != nil {
			return bad()
		}
		switch n.logical {
		case "timestamp-millis":
			return time.UnixMilli(i).UTC(), nil
		case "timestamp-micros":
			return time.UnixMicro(i).UTC(), nil
		case "date":
			return time.Unix(i*86400, 0).UTC(), nil
		case "time-millis":
			return time.Duration(i) * time.Millisecond, nil
		case "time-micros":
			return time.Duration(i) * time.Microsecond, nil
		}
		if n.kind == kInt {
			if i < math.MinInt32 || i > math.MaxInt32 {
				return bad()
			}
			return int32(i), nil
		}
		return i, nil
	case kFloat, kDouble:
		num, ok := raw.(json.Number)
		if !ok {
			return bad()
		}
		f, err := num.Float64()
		if err != nil {
			return bad()
		}
		if n.kind == kFloat {
			return float32(f), nil
		}
		return f, nil
	case kString:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		return bad()
	case kEnum:
		if s, ok := raw.(string); ok {
			if _, ok := n.symIndex[s]; ok {
				return s, nil
			}
		}
		return bad()
	case kBytes, kFixed:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		var b bytes.Buffer
		for _, r := range s { // Avro encodes bytes defaults as code points 0-255
			if r > 255 {
				return bad()
			}
			b.WriteByte(byte(r))
		}
		if n.kind == kFixed && b.Len() != n.size {
			return bad()
		}
		return b.Bytes(), nil
	case kArray:
		list, ok := raw.([]any)
		if !ok {
			return bad()
		}
		out := make([]any, len(list))
		for i, x := range list {
			v, err := defaultNative(n.items, x)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kMap:
		obj, ok := raw.(map[string]any)
		if !ok {
			return bad()
		}
		out := make(map[string]any, len(obj))
		for k, x := range obj {
			v, err := defaultNative(n.items, x)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case kRecord:
		obj, ok := raw.(map[string]any)
		if !ok {
			return bad()
		}
		out := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			x, ok := obj[f.name]
			if !ok {
				if !f.hasDefault {
					return nil, fmt.Errorf("default for %s lacks field %q", n, f.name)
				}
				x = f.rawDefault
			}
			v, err := defaultNative(f.typ, x)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case kUnion:
		// The Avro spec: a union's default is of the union's first member.
		first := n.branches[0]
		if first.kind == kNull {
			if raw != nil {
				return bad()
			}
			return nil, nil
		}
		v, err := defaultNative(first, raw)
		if err != nil {
			return nil, err
		}
		return map[string]any{first.branch: v}, nil
	}
	return bad()
}

// copyNative deep-copies the mutable parts of a native value, so a default
// handed out by ToNative cannot be changed through another result.
func copyNative(v any) any {
	switch x := v.(type) {
	case []byte:
		return append([]byte(nil), x...)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyNative(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyNative(e)
		}
		return out
	}
	return v
}

func isMutable(v any) bool {
	switch v.(type) {
	case []byte, []any, map[string]any:
		return true
	}
	return false
}
