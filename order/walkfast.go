package order

import (
	"reflect"
	"strings"
	"sync"
)

// The fast walk of a payload's strings: what walkData visits, without
// building a path per field (strings joined per field and per list item
// were a tenth of a command's decision). Checks run it first and, only
// when a string fails, walk again with walkData to name the field.

// walkField is one exported field of a payload struct that the walks
// visit, with its JSON name and class; inline is an embedded struct walked
// in place.
type walkField struct {
	index  int
	name   string
	class  fieldClass
	inline bool
}

var walkFieldsOf sync.Map // reflect.Type -> []walkField

// fieldsOf is the walks' view of struct type t (its exported fields by
// their JSON names, "-" left out), computed once per type.
func fieldsOf(t reflect.Type) []walkField {
	if fs, ok := walkFieldsOf.Load(t); ok {
		return fs.([]walkField)
	}
	var fs []walkField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			fs = append(fs, walkField{index: i, inline: true})
		default:
			if name == "" {
				name = f.Name
			}
			fs = append(fs, walkField{index: i, name: name, class: dataFieldClasses[name]})
		}
	}
	walkFieldsOf.Store(t, fs)
	return fs
}

// allStrings reports whether ok holds for every string walkValue would
// visit in v, with the class it would give.
func allStrings(v reflect.Value, class fieldClass, ok func(string, fieldClass) bool) bool {
	switch v.Kind() {
	case reflect.String:
		return ok(v.String(), class)
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || allStrings(v.Elem(), class, ok)
	case reflect.Slice:
		for i := range v.Len() {
			if !allStrings(v.Index(i), class, ok) {
				return false
			}
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			if !allStrings(v.Field(f.index), f.class, ok) {
				return false
			}
		}
	}
	return true
}

// dataStringsOK is allStrings over a payload, as walkData walks it.
func dataStringsOK(d CommandData, ok func(string, fieldClass) bool) bool {
	return allStrings(reflect.ValueOf(d), classText, ok)
}
