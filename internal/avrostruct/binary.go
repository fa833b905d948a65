package avrostruct

import (
	"encoding/binary"
	"math"
	"slices"
	"time"
)

// Avro binary primitives, written to produce exactly what goavro's
// BinaryFromNative produces and to read what its NativeFromBinary reads
// (a little stricter: see readLong and readInt).

// maxDepth bounds the nesting of records while decoding, so a recursive
// schema cannot drive the decoder into a stack overflow.
const maxDepth = 10_000

// maxZeroWidthItems bounds the item count of an array whose items may
// encode to zero bytes (null, a record of nulls), whose count the remaining
// input cannot bound.
const maxZeroWidthItems = 1 << 16

func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendString(b []byte, s string) []byte {
	return append(appendLong(b, int64(len(s))), s...)
}

func appendBytes(b []byte, p []byte) []byte {
	return append(appendLong(b, int64(len(p))), p...)
}

func appendFloat(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

func appendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// The conversions of goavro's logical types, from the Go value to the
// number written.

func timestampMillis(t time.Time) int64 { return t.Unix()*1e3 + int64(t.Nanosecond()/1e6) }
func timestampMicros(t time.Time) int64 { return t.Unix()*1e6 + int64(t.Nanosecond()/1e3) }

func dateDays(t time.Time) (int64, error) {
	d := t.Unix() / 86400
	if d < math.MinInt32 || d > math.MaxInt32 {
		return 0, errorf("%s is %d days from the epoch, which overflows avro int", t, d)
	}
	return d, nil
}

func timeMillis(d time.Duration) (int64, error) {
	ms := d.Nanoseconds() / int64(time.Millisecond)
	if ms < math.MinInt32 || ms > math.MaxInt32 {
		return 0, errorf("%s overflows avro int time-millis", d)
	}
	return ms, nil
}

func timeMicros(d time.Duration) int64 { return d.Nanoseconds() / int64(time.Microsecond) }

// And back, as goavro's NativeFromBinary converts them.

func fromTimestampMillis(ms int64) time.Time {
	s := ms / 1e3
	return time.Unix(s, (ms-s*1e3)*1e6).UTC()
}

func fromTimestampMicros(us int64) time.Time {
	s := us / 1e6
	return time.Unix(s, (us-s*1e6)*1e3).UTC()
}

func fromDate(days int64) time.Time {
	return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days)).UTC()
}

// Reading. Every reader takes the remaining input and returns what is left
// after the value; it never reads past the end and never panics.

func errEOF(what string) error { return errorf("unexpected end of input reading %s", what) }

// readLong reads a zig-zag varint. Unlike goavro it refuses a varint longer
// than the 10 bytes a long can take.
func readLong(b []byte) (int64, []byte, error) {
	if len(b) > 0 && b[0] < 0x80 {
		u := uint64(b[0])
		return int64(u>>1) ^ -int64(u&1), b[1:], nil
	}
	var u uint64
	var shift uint
	for i := 0; i < len(b); i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, nil, errorf("varint overflows a long")
		}
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), b[i+1:], nil
		}
		shift += 7
	}
	return 0, nil, errEOF("a varint")
}

// readInt reads an Avro int. goavro truncates a value outside the int32
// range; this refuses it.
func readInt(b []byte) (int64, []byte, error) {
	v, rest, err := readLong(b)
	if err != nil {
		return 0, nil, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, nil, errorf("%d overflows avro int", v)
	}
	return v, rest, nil
}

// readLen reads the length of a string or bytes value and checks that the
// input holds that many bytes.
func readLen(b []byte, what string) (int, []byte, error) {
	l, rest, err := readLong(b)
	if err != nil {
		return 0, nil, err
	}
	if l < 0 {
		return 0, nil, errorf("negative length %d of %s", l, what)
	}
	if l > int64(len(rest)) {
		return 0, nil, errorf("length %d of %s exceeds the %d bytes left", l, what, len(rest))
	}
	return int(l), rest, nil
}

func readBytes(b []byte, what string) ([]byte, []byte, error) {
	if len(b) > 0 && b[0] < 0x80 && b[0]&1 == 0 { // a length below 64
		if l := int(b[0] >> 1); l < len(b) {
			return b[1 : 1+l : 1+l], b[1+l:], nil
		}
	}
	l, rest, err := readLen(b, what)
	if err != nil {
		return nil, nil, err
	}
	return rest[:l:l], rest[l:], nil
}

func readFixed(b []byte, size int, n *node) ([]byte, []byte, error) {
	if len(b) < size {
		return nil, nil, errEOF(n.String())
	}
	return b[:size:size], b[size:], nil
}

func readBool(b []byte) (bool, []byte, error) {
	if len(b) == 0 {
		return false, nil, errEOF("boolean")
	}
	switch b[0] {
	case 0:
		return false, b[1:], nil
	case 1:
		return true, b[1:], nil
	}
	return false, nil, errorf("boolean byte %d is neither 0 nor 1", b[0])
}

func readFloat(b []byte) (float32, []byte, error) {
	if len(b) < 4 {
		return 0, nil, errEOF("float")
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), b[4:], nil
}

func readDouble(b []byte) (float64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, errEOF("double")
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:], nil
}

// readIndex reads a union branch or enum symbol index in [0, n).
func readIndex(b []byte, n int, of *node) (int, []byte, error) {
	i, rest, err := readLong(b)
	if err != nil {
		return 0, nil, err
	}
	if i < 0 || i >= int64(n) {
		return 0, nil, errorf("index %d out of range for %s", i, of)
	}
	return int(i), rest, nil
}

// blockCounter reads the block counts of an array or map and bounds them by
// the remaining input: an item takes at least minItem bytes.
type blockCounter struct {
	minItem int
	total   int // items so far, for the zero-width bound
}

func (c *blockCounter) next(b []byte) (int, []byte, error) {
	n, rest, err := readLong(b)
	if err != nil {
		return 0, nil, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, nil, errorf("block count %d", n)
		}
		n = -n
		if _, rest, err = readLong(rest); err != nil { // the block's size in bytes: not needed
			return 0, nil, err
		}
	}
	if c.minItem > 0 {
		if n > int64(len(rest)/c.minItem) {
			return 0, nil, errorf("block of %d items exceeds the %d bytes left", n, len(rest))
		}
	} else if n > int64(maxZeroWidthItems-c.total) {
		return 0, nil, errorf("more than %d items that encode to zero bytes", maxZeroWidthItems)
	}
	c.total += int(n)
	return int(n), rest, nil
}

// skip reads past one value of schema n, checking it as goavro's decoder
// would: a writer's field that the Go type does not have.
func skip(b []byte, n *node, depth int) ([]byte, error) {
	var err error
	switch n.kind {
	case kNull:
		return b, nil
	case kBoolean:
		_, b, err = readBool(b)
	case kInt:
		_, b, err = readInt(b)
	case kLong:
		_, b, err = readLong(b)
	case kFloat:
		_, b, err = readFloat(b)
	case kDouble:
		_, b, err = readDouble(b)
	case kBytes, kString:
		_, b, err = readBytes(b, n.branch)
	case kEnum:
		_, b, err = readIndex(b, len(n.symbols), n)
	case kFixed:
		_, b, err = readFixed(b, n.size, n)
	case kUnion:
		var i int
		if i, b, err = readIndex(b, len(n.branches), n); err != nil {
			return nil, err
		}
		return skip(b, n.branches[i], depth)
	case kRecord:
		if depth >= maxDepth {
			return nil, errorf("records nested deeper than %d", maxDepth)
		}
		for _, f := range n.fields {
			if b, err = skip(b, f.typ, depth+1); err != nil {
				return nil, atField(err, f.name)
			}
		}
		return b, nil
	case kArray:
		c := blockCounter{minItem: n.items.minSize}
		i := 0
		for {
			var cnt int
			if cnt, b, err = c.next(b); err != nil || cnt == 0 {
				return b, err
			}
			for end := i + cnt; i < end; i++ {
				if b, err = skip(b, n.items, depth); err != nil {
					return nil, atIndex(err, i)
				}
			}
		}
	case kMap:
		c := blockCounter{minItem: 1 + n.items.minSize}
		var seen map[string]bool
		for {
			var cnt int
			if cnt, b, err = c.next(b); err != nil || cnt == 0 {
				return b, err
			}
			if seen == nil {
				seen = make(map[string]bool, cnt)
			}
			for range cnt {
				var k []byte
				if k, b, err = readBytes(b, "map key"); err != nil {
					return nil, err
				}
				if seen[string(k)] {
					return nil, errorf("duplicate map key %q", k)
				}
				seen[string(k)] = true
				if b, err = skip(b, n.items, depth); err != nil {
					return nil, atKey(err, string(k))
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// setMinSizes sets every node's minSize: the fewest bytes a value of it
// encodes to. A record met again inside itself counts 0, which only makes
// the bound looser.
func setMinSizes(n *node, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	const limit = 1 << 30
	switch n.kind {
	case kNull:
		n.minSize = 0
	case kFloat:
		n.minSize = 4
	case kDouble:
		n.minSize = 8
	case kFixed:
		n.minSize = n.size
	case kArray, kMap:
		setMinSizes(n.items, seen)
		n.minSize = 1
	case kUnion:
		least := limit
		for _, br := range n.branches {
			setMinSizes(br, seen)
			least = min(least, br.minSize)
		}
		n.minSize = 1 + least
	case kRecord:
		sum := 0
		for _, f := range n.fields {
			setMinSizes(f.typ, seen)
			sum = min(sum+f.typ.minSize, limit)
		}
		n.minSize = sum
	default:
		n.minSize = 1
	}
}

// appendNative writes a native value of n (a field default, as
// defaultNative builds it) the way goavro's BinaryFromNative does, except
// that map keys are sorted.
func appendNative(b []byte, n *node, v any) ([]byte, error) {
	bad := func() ([]byte, error) { return nil, errorf("default %v (%T) does not fit %s", v, v, n) }
	switch n.kind {
	case kNull:
		return b, nil
	case kBoolean:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		return appendBool(b, x), nil
	case kInt, kLong:
		var i int64
		switch x := v.(type) {
		case int32:
			i = int64(x)
		case int64:
			i = x
		case time.Time:
			switch n.logical {
			case "timestamp-millis":
				i = timestampMillis(x)
			case "timestamp-micros":
				i = timestampMicros(x)
			case "date":
				d, err := dateDays(x)
				if err != nil {
					return nil, err
				}
				i = d
			default:
				return bad()
			}
		case time.Duration:
			switch n.logical {
			case "time-millis":
				ms, err := timeMillis(x)
				if err != nil {
					return nil, err
				}
				i = ms
			case "time-micros":
				i = timeMicros(x)
			default:
				return bad()
			}
		default:
			return bad()
		}
		if n.kind == kInt && (i < math.MinInt32 || i > math.MaxInt32) {
			return bad()
		}
		return appendLong(b, i), nil
	case kFloat:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		return appendFloat(b, x), nil
	case kDouble:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		return appendDouble(b, x), nil
	case kString:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		return appendString(b, x), nil
	case kBytes:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		return appendBytes(b, x), nil
	case kFixed:
		x, ok := v.([]byte)
		if !ok || len(x) != n.size {
			return bad()
		}
		return append(b, x...), nil
	case kEnum:
		x, ok := v.(string)
		i, known := n.symIndex[x]
		if !ok || !known {
			return bad()
		}
		return appendLong(b, int64(i)), nil
	case kArray:
		list, ok := v.([]any)
		if !ok {
			return bad()
		}
		if len(list) > 0 {
			b = appendLong(b, int64(len(list)))
			for i, x := range list {
				var err error
				if b, err = appendNative(b, n.items, x); err != nil {
					return nil, atIndex(err, i)
				}
			}
		}
		return append(b, 0), nil
	case kMap:
		mm, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		if len(mm) > 0 {
			b = appendLong(b, int64(len(mm)))
			keys := make([]string, 0, len(mm))
			for k := range mm {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				var err error
				b = appendString(b, k)
				if b, err = appendNative(b, n.items, mm[k]); err != nil {
					return nil, atKey(err, k)
				}
			}
		}
		return append(b, 0), nil
	case kRecord:
		mm, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		for _, f := range n.fields {
			x, ok := mm[f.name]
			if !ok {
				return nil, atField(errorf("default lacks the field"), f.name)
			}
			var err error
			if b, err = appendNative(b, f.typ, x); err != nil {
				return nil, atField(err, f.name)
			}
		}
		return b, nil
	case kUnion:
		if v == nil {
			for i, br := range n.branches {
				if br.kind == kNull {
					return appendLong(b, int64(i)), nil
				}
			}
			return bad()
		}
		mm, ok := v.(map[string]any)
		if !ok || len(mm) != 1 {
			return bad()
		}
		for k, x := range mm {
			for i, br := range n.branches {
				if br.branch == k {
					return appendNative(appendLong(b, int64(i)), br, x)
				}
			}
		}
		return bad()
	}
	return bad()
}
