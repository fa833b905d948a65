package avrostruct

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// pathError is every error this package returns from a conversion: a message
// and the path from the top-level value to where it happened, such as
// "data.items[2].quantity". The path is built while the error travels up, so
// the successful path pays nothing for it.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return "avrostruct: " + e.msg
	}
	return "avrostruct: " + e.path + ": " + e.msg
}

func errorf(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

func prepend(err error, seg string) error {
	pe, ok := err.(*pathError)
	if !ok {
		return err
	}
	switch {
	case pe.path == "":
		pe.path = seg
	case pe.path[0] == '[':
		pe.path = seg + pe.path
	default:
		pe.path = seg + "." + pe.path
	}
	return pe
}

func atField(err error, name string) error { return prepend(err, name) }
func atIndex(err error, i int) error       { return prepend(err, "["+strconv.Itoa(i)+"]") }
func atKey(err error, k string) error      { return prepend(err, "["+strconv.Quote(k)+"]") }

// atElem marks an array item or map value in a compile-time error, where
// there is no index yet.
func atElem(err error) error { return prepend(err, "[]") }

// mismatch reports a native value that does not fit the schema node.
func mismatch(n *node, native any) error {
	return &pathError{msg: "want " + n.String() + ", got " + nativeName(native)}
}

// nativeName names a goavro native value by its Avro type.
func nativeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int32:
		return "int"
	case int64:
		return "long"
	case float32:
		return "float"
	case float64:
		return "double"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []any:
		return "array"
	case map[string]any:
		if len(x) == 1 {
			for k := range x {
				return "map or union value {" + strconv.Quote(k) + ": ...}"
			}
		}
		return "map or record"
	case time.Time:
		return "time.Time"
	case time.Duration:
		return "time.Duration"
	}
	return reflect.TypeOf(v).String()
}

// cannotMap is the compile-time error for a Go type that cannot hold a node.
func cannotMap(n *node, t reflect.Type) error {
	return errorf("avro %s cannot be mapped to Go type %s", n, t)
}
