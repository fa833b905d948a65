package avrostruct

import (
	"testing"

	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
)

// v1 of a record; v2 adds fields, makes "note" optional, widens "qty" from
// int to long and drops "legacy".
const itemV1 = `{"type": "record", "name": "Line", "namespace": "t", "fields": [
  {"name": "sku", "type": "string"},
  {"name": "qty", "type": "int"},
  {"name": "note", "type": "string"},
  {"name": "legacy", "type": "string"}
]}`

const itemV2 = `{"type": "record", "name": "Line", "namespace": "t", "fields": [
  {"name": "sku", "type": "string"},
  {"name": "qty", "type": "long"},
  {"name": "note", "type": ["null", "string"], "default": null},
  {"name": "price", "type": "double", "default": 0},
  {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
  {"name": "origin", "type": ["null", {"type": "record", "name": "Origin", "fields": [{"name": "site", "type": "string"}]}], "default": null}
]}`

type LineV1 struct {
	SKU    string `json:"sku"`
	Qty    int32  `json:"qty"`
	Note   string `json:"note"`
	Legacy string `json:"legacy"`
}

type Origin struct {
	Site string `json:"site"`
}

type LineV2 struct {
	SKU    string   `json:"sku"`
	Qty    int64    `json:"qty"`
	Note   *string  `json:"note"`
	Price  float64  `json:"price"`
	Tags   []string `json:"tags"`
	Origin *Origin  `json:"origin"`
}

// encode writes v with schema using a Mapper for the same schema, and
// decodes the bytes with that (the writer's) schema, as the real consumer
// does: goavro has no reader/writer schema resolution.
func encodeDecode(t *testing.T, schema string, v any) any {
	t.Helper()
	m, err := New(schema)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(schema)
	require.NoError(t, err)
	native, err := m.ToNative(v)
	require.NoError(t, err)
	bin, err := codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
	decoded, _, err := codec.NativeFromBinary(bin)
	require.NoError(t, err)
	return decoded
}

func TestEvolution(t *testing.T) {
	note := "fragile"
	cases := []struct {
		name         string
		writerSchema string
		written      any
		mapperSchema string // the schema of the Mapper used by FromNative
		into         func() any
		want         any
	}{
		{
			name:         "v1 data into v2 struct, mapper of the writer's schema",
			writerSchema: itemV1, written: &LineV1{SKU: "A", Qty: 3, Note: note, Legacy: "old"},
			mapperSchema: itemV1,
			into:         func() any { return &LineV2{} },
			want:         &LineV2{SKU: "A", Qty: 3, Note: &note},
		},
		{
			name:         "v1 data into v2 struct, mapper of the current schema",
			writerSchema: itemV1, written: &LineV1{SKU: "A", Qty: 3, Note: note, Legacy: "old"},
			mapperSchema: itemV2,
			into:         func() any { return &LineV2{} },
			want:         &LineV2{SKU: "A", Qty: 3, Note: &note},
		},
		{
			name:         "v2 data into v1 struct ignores new fields",
			writerSchema: itemV2, written: &LineV2{SKU: "B", Qty: 1 << 20, Note: &note, Price: 2.5, Tags: []string{"x"}, Origin: &Origin{"eu"}},
			mapperSchema: itemV2,
			into:         func() any { return &LineV1{} },
			want:         &LineV1{SKU: "B", Qty: 1 << 20, Note: note},
		},
		{
			name:         "v2 union value into a v1 mapper without the union is unwrapped",
			writerSchema: itemV2, written: &LineV2{SKU: "B", Qty: 5, Note: &note},
			mapperSchema: itemV1,
			into:         func() any { return &LineV1{} },
			want:         &LineV1{SKU: "B", Qty: 5, Note: note},
		},
		{
			name:         "v2 null into v1 string gives the zero value",
			writerSchema: itemV2, written: &LineV2{SKU: "C"},
			mapperSchema: itemV1,
			into:         func() any { return &LineV1{} },
			want:         &LineV1{SKU: "C"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			decoded := encodeDecode(t, tc.writerSchema, tc.written)
			m, err := New(tc.mapperSchema)
			require.NoError(t, err)
			out := tc.into()
			require.NoError(t, m.FromNative(decoded, out))
			require.Equal(t, tc.want, out)
		})
	}
}

func TestEvolutionOverflowIsAnError(t *testing.T) {
	decoded := encodeDecode(t, itemV2, &LineV2{SKU: "A", Qty: 1 << 40})
	m, err := New(itemV2)
	require.NoError(t, err)
	err = m.FromNative(decoded, &LineV1{})
	require.EqualError(t, err, "avrostruct: qty: 1099511627776 overflows Go int32")
}

func TestDefaultsFillMissingGoFields(t *testing.T) {
	// A v1 struct written with the v2 schema: the fields it lacks have
	// defaults, so ToNative uses them.
	type LineOld struct {
		SKU string `json:"sku"`
		Qty int64  `json:"qty"`
	}
	m, err := New(itemV2)
	require.NoError(t, err)
	native, err := m.ToNative(&LineOld{SKU: "A", Qty: 1})
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"sku": "A", "qty": int64(1), "note": nil, "price": float64(0), "tags": []any{}, "origin": nil,
	}, native)

	// Defaults are copied: changing one result does not change the next.
	native.(map[string]any)["tags"] = append(native.(map[string]any)["tags"].([]any), "x")
	again, err := m.ToNative(&LineOld{SKU: "A", Qty: 1})
	require.NoError(t, err)
	require.Equal(t, []any{}, again.(map[string]any)["tags"])

	codec, err := goavro.NewCodec(itemV2)
	require.NoError(t, err)
	_, err = codec.BinaryFromNative(nil, again)
	require.NoError(t, err)
}
