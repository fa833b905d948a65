package schemas

import (
	"fmt"
	"reflect"
	"time"
)

// fill sets every field of v (a pointer) to a distinct non-zero value, so a
// round trip that drops or swaps a field is caught. Interfaces are left alone.
func fill(v any) {
	n := 0
	fillValue(reflect.ValueOf(v).Elem(), &n)
}

func fillValue(v reflect.Value, n *int) {
	*n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.UnixMilli(1_790_000_000_000 + int64(*n)*1000).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillValue(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			val := reflect.New(v.Type().Elem()).Elem()
			fillValue(val, n)
			m.SetMapIndex(reflect.ValueOf(fmt.Sprintf("k%d", i)), val)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && v.Field(i).Kind() != reflect.Interface {
				fillValue(v.Field(i), n)
			}
		}
	}
}

// filledSample returns a filled copy of a payload sample.
func filledSample[T any](sample T) T {
	p := reflect.New(reflect.TypeOf(sample))
	fill(p.Interface())
	return p.Elem().Interface().(T)
}
