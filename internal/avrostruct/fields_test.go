package avrostruct

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

type inner struct {
	A string `json:"a"`
	B string `json:"b"`
	C string
}

type Inner2 struct {
	B string `json:"b"`
	D string `json:"d"`
}

type outer struct {
	inner          // unexported embedded struct: its exported fields are promoted
	*Inner2        // b ties with inner.b at depth 1: dropped
	C       string `json:"c_top"` // shallower than inner.C, renamed
	Skip    string `json:"-"`
	Both    string `avro:"avro_name" json:"json_name"`
	Named   Inner2 `json:"named"` // tagged embedded-like field: not flattened
	private string
}

func TestStructFields(t *testing.T) {
	fs := structFields(reflect.TypeFor[outer]())
	names := map[string]string{}
	for _, f := range fs {
		names[f.name] = f.goName
	}
	require.Equal(t, map[string]string{
		"a":         "inner.A",
		"C":         "inner.C",
		"d":         "Inner2.D",
		"c_top":     "C",
		"avro_name": "Both",
		"named":     "Named",
	}, names)
}
