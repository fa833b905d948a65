package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Canonical returns the Parsing Canonical Form of an Avro schema, as the
// Avro specification defines it: full names, only the attributes that
// matter for parsing (in the order name, type, fields, symbols, items,
// values, size), primitives in their simple form, no whitespace. goavro's
// own canonical form keeps logical types and doubles namespaces (so its
// fingerprints match no other Avro library); this one matches Java's and
// fastavro's.
func Canonical(schema string) (string, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(schema))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("canonical form: %w", err)
	}
	var b bytes.Buffer
	c := canonicalizer{seen: map[string]bool{}}
	if err := c.write(&b, v, ""); err != nil {
		return "", fmt.Errorf("canonical form: %w", err)
	}
	return b.String(), nil
}

// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of a schema's
// Parsing Canonical Form, as written in Avro single-object encoding.
func Fingerprint(schema string) (uint64, error) {
	c, err := Canonical(schema)
	if err != nil {
		return 0, err
	}
	return rabin([]byte(c)), nil
}

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true, "float": true,
	"double": true, "bytes": true, "string": true,
}

type canonicalizer struct{ seen map[string]bool }

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

func (c *canonicalizer) write(b *bytes.Buffer, v any, ns string) error {
	switch s := v.(type) {
	case string:
		if !primitives[s] {
			s = fullName(s, ns)
		}
		writeString(b, s)
		return nil
	case []any:
		b.WriteByte('[')
		for i, m := range s {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := c.write(b, m, ns); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case map[string]any:
		return c.writeObject(b, s, ns)
	}
	return fmt.Errorf("unexpected schema element %v", v)
}

func (c *canonicalizer) writeObject(b *bytes.Buffer, m map[string]any, ns string) error {
	t, _ := m["type"].(string)
	if primitives[t] {
		writeString(b, t) // logical types and other attributes are stripped
		return nil
	}
	switch t {
	case "record", "error", "enum", "fixed":
		name, _ := m["name"].(string)
		if n, ok := m["namespace"].(string); ok && !strings.Contains(name, ".") {
			ns = n
		}
		full := fullName(name, ns)
		if i := strings.LastIndex(full, "."); i >= 0 {
			ns = full[:i]
		} else {
			ns = ""
		}
		if c.seen[full] {
			writeString(b, full)
			return nil
		}
		c.seen[full] = true
		b.WriteString(`{"name":`)
		writeString(b, full)
		b.WriteString(`,"type":`)
		if t == "error" {
			t = "record"
		}
		writeString(b, t)
		switch t {
		case "record":
			b.WriteString(`,"fields":[`)
			fields, _ := m["fields"].([]any)
			for i, f := range fields {
				fm, _ := f.(map[string]any)
				if i > 0 {
					b.WriteByte(',')
				}
				fn, _ := fm["name"].(string)
				b.WriteString(`{"name":`)
				writeString(b, fn)
				b.WriteString(`,"type":`)
				if err := c.write(b, fm["type"], ns); err != nil {
					return err
				}
				b.WriteByte('}')
			}
			b.WriteByte(']')
		case "enum":
			b.WriteString(`,"symbols":[`)
			syms, _ := m["symbols"].([]any)
			for i, s := range syms {
				if i > 0 {
					b.WriteByte(',')
				}
				str, _ := s.(string)
				writeString(b, str)
			}
			b.WriteByte(']')
		case "fixed":
			size, err := strconv.ParseInt(fmt.Sprint(m["size"]), 10, 64)
			if err != nil {
				return fmt.Errorf("fixed %s: size: %w", full, err)
			}
			fmt.Fprintf(b, `,"size":%d`, size)
		}
		b.WriteByte('}')
		return nil
	case "array":
		b.WriteString(`{"type":"array","items":`)
		if err := c.write(b, m["items"], ns); err != nil {
			return err
		}
		b.WriteByte('}')
		return nil
	case "map":
		b.WriteString(`{"type":"map","values":`)
		if err := c.write(b, m["values"], ns); err != nil {
			return err
		}
		b.WriteByte('}')
		return nil
	}
	if inner, ok := m["type"].(map[string]any); ok { // {"type": {...}}
		return c.writeObject(b, inner, ns)
	}
	if inner, ok := m["type"].([]any); ok {
		return c.write(b, inner, ns)
	}
	if s, ok := m["type"].(string); ok { // a named type referenced as {"type": "Name"}
		return c.write(b, s, ns)
	}
	return fmt.Errorf("unknown schema type %v", m["type"])
}

// writeString writes a JSON string with only the escapes JSON requires, so
// non-ASCII characters stay UTF-8 as the canonical form wants.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}

const rabinEmpty = 0xc15d213aa4d7a795

var rabinTable = func() (t [256]uint64) {
	for i := range t {
		fp := uint64(i)
		for range 8 {
			fp = (fp >> 1) ^ (rabinEmpty & -(fp & 1))
		}
		t[i] = fp
	}
	return t
}()

func rabin(b []byte) uint64 {
	fp := uint64(rabinEmpty)
	for _, c := range b {
		fp = (fp >> 8) ^ rabinTable[byte(fp)^c]
	}
	return fp
}
