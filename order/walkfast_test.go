package order

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// fillStrings sets every string of v (a pointer) to a distinct value and
// gives every list two items and every pointer a value.
func fillStrings(v reflect.Value, n *int) {
	switch v.Kind() {
	case reflect.String:
		*n++
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillStrings(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillStrings(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), n)
			}
		}
	}
}

// TestFastWalkVisitsWhatWalkDataVisits: for every payload type, the fast
// walk sees the same strings with the same classes, in the same order, as
// walkData; so a check that passes it passes walkData's, and one that
// fails it is named by walkData.
func TestFastWalkVisitsWhatWalkDataVisits(t *testing.T) {
	type seen struct {
		v     string
		class fieldClass
	}
	for _, sample := range CommandSamples() {
		ptr := reflect.New(reflect.TypeOf(sample))
		n := 0
		fillStrings(ptr.Elem(), &n)
		d := ptr.Elem().Interface().(CommandData)
		var slow, fast []seen
		require.NoError(t, walkData(d, func(_, v string, class fieldClass) error { slow = append(slow, seen{v, class}); return nil }))
		require.True(t, dataStringsOK(d, func(v string, class fieldClass) bool { fast = append(fast, seen{v, class}); return true }))
		require.Equal(t, slow, fast, "%T", sample)
		require.Len(t, fast, n, "%T: every string is visited", sample)
		// Each string failing in turn stops both walks at it.
		for i := range fast {
			stop := func(v string) bool { return v == fast[i].v }
			require.False(t, dataStringsOK(d, func(v string, _ fieldClass) bool { return !stop(v) }))
			require.Error(t, walkData(d, func(_, v string, _ fieldClass) error {
				if stop(v) {
					return fmt.Errorf("bad")
				}
				return nil
			}))
		}
	}
}
