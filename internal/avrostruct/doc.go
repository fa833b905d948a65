// Package avrostruct converts between plain Go structs and the "native" values
// of github.com/linkedin/goavro/v2, guided by an Avro schema, so domain types
// never import Avro.
//
// goavro encodes and decodes only its native form: a record is a
// map[string]any, an array []any, a map map[string]any, a union nil or
// map[string]any{"<member name>": value}, long int64, int int32, double
// float64, float float32, boolean bool, string string, bytes and fixed []byte,
// enum string, and long with logicalType timestamp-millis/-micros time.Time.
// A Mapper sits between that form and Go values:
//
//	m, err := avrostruct.New(schemaJSON,
//		avrostruct.WithUnionType("orderlog.events.OrderCreated", order.OrderCreated{}))
//	native, err := m.ToNative(&envelope)        // then codec.BinaryFromNative
//	err = m.FromNative(decodedNative, &envelope) // after codec.NativeFromBinary
//
// or, without the native form, straight to and from Avro binary:
//
//	buf, err = m.AppendBinary(buf[:0], &envelope)     // BinaryFromNative's bytes
//	rest, err := writer.DecodeBinary(body, &envelope) // FromNative's result
//
// New reads the same schema JSON as goavro.NewCodec; named types may be defined
// once and referenced by name later, with namespaces inherited as goavro does.
//
// # Field names
//
// A record maps to a struct or a pointer to a struct. A Go field's Avro name is
// its `avro:"name"` tag, else its `json:"name,..."` tag name, else the Go field
// name. Fields tagged "-" and unexported fields are skipped. Embedded structs
// are flattened as encoding/json does (the shallowest field of a name wins,
// then a tagged one; a tie is dropped).
//
// # Types
//
//	Avro                                 Go
//	boolean                              bool
//	int                                  any integer kind (range-checked both ways)
//	long                                 any integer kind (range-checked both ways)
//	float                                float32
//	double                               float64, float32
//	string, enum                         string kinds, e.g. type Status string
//	bytes                                []byte
//	fixed                                []byte of the right length, [N]byte
//	long timestamp-millis/-micros        time.Time
//	int date                             time.Time
//	int time-millis, long time-micros    time.Duration
//	array                                slice
//	map                                  map with a string-kind key
//	record                               struct, *struct
//	["null", T]                          *T, or a slice or map (nil is null), or any
//	                                     other type whose zero value is null
//	union of named types                 interface, members from WithUnionType
//
// Other logical types are ignored, as goavro ignores them, except decimal,
// which is not supported.
//
// Time: a zero time.Time is written as the epoch (0) and the epoch is read
// back as a zero time.Time, so zero round-trips. Times come back in UTC and at
// the schema's precision. For an optional time prefer ["null", timestamp] with
// *time.Time; a plain time.Time on such a union writes zero as null.
//
// Empty arrays, maps and bytes, and nulls, are read back as nil.
//
// # Unions
//
// A union's native form names its member: the primitive name ("string",
// "long"), "array", "map", the full name of a record, enum or fixed, or
// "long.timestamp-millis" and the like for a logical type. For a non-interface
// Go type, ToNative uses the first non-null member the Go type can be mapped
// to. For an interface-typed field, the dynamic type of the value picks the
// member through the WithUnionType registry (T or *T is accepted), and
// FromNative stores a new value of the type exactly as registered. A nil
// interface or pointer is null.
//
// # Strict writing, tolerant reading
//
// ToNative must produce every schema field: a schema field with no Go field is
// an error naming both, unless the schema gives it a default, which is then
// used; an exported Go field with no schema field is an error too. So a test
// that converts a value catches a Go type and a schema that have drifted apart.
// Enum symbols and integer ranges are checked.
//
// goavro has no reader/writer schema resolution: data is decoded with the
// schema it was written with, and FromNative maps it into today's Go type. So
// FromNative tolerates evolution: native fields without a Go field are
// ignored; Go fields the native record lacks keep their zero value (FromNative
// zeroes *out first); int and long widen into any integer type that holds the
// value, int and long into floats, bytes into strings; a null read into a
// non-optional field gives the zero value, a union value {"T": v} read where
// the schema now has just T is unwrapped, and a bare value read where the
// schema now has a union goes to the first member the Go type can hold.
//
// Errors name the place: "avrostruct: data.items[2].quantity: want long, got
// string". A Go type that cannot hold a schema type fails when the type is
// first converted, with "[]" for array items and map values in the path.
//
// # Binary
//
// AppendBinary and DecodeBinary use the same compiled plans as ToNative and
// FromNative, so they accept the same Go values, pick the same union members
// and fail with the same errors; they only skip the native form, and with
// it most of the allocation and goavro's type switches. AppendBinary writes
// the bytes goavro writes for ToNative's result, except that map entries
// are sorted by key (goavro writes Go's random map order), which makes the
// encoding deterministic; and it refuses an int time-millis beyond the int32
// range, which goavro silently wraps. DecodeBinary is given the writer's
// schema (as goavro's decoder is) and reads past writer fields the Go type
// lacks. It copies strings and bytes out of its input, and, for input that
// is not valid for the schema, returns an error naming the path, never
// panics, and bounds every length and count by the input left (an array of
// items that encode to zero bytes, such as nulls, by 65536 items). It is a
// little stricter than goavro: a varint longer than 10 bytes, an int value
// outside the int32 range, and records nested over 10,000 deep are errors.
//
// # Performance
//
// The first conversion of a Go type compiles a plan for each (schema node, Go
// type) pair and caches it; later conversions do no tag parsing or field
// lookup by name and allocate little more than the native values themselves.
// AppendBinary into a reused buffer allocates nothing; DecodeBinary allocates
// the strings, slices, maps and pointers of its result. A Mapper is safe for concurrent use. ToNative with a pointer avoids copying
// time.Time fields. ToNative's result may share []byte contents with its input;
// FromNative copies bytes, because goavro's decoded []byte points into the
// message buffer.
package avrostruct
