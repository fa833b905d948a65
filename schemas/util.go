package schemas

import (
	"reflect"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func typeName(v any) string { return reflect.TypeOf(v).Name() }
