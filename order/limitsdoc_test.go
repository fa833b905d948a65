package order

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	limitsDocPath   = "../docs/limits.md"
	limitsBeginMark = "<!-- BEGIN GENERATED from order's limits: go test ./order -run TestLimitsDocIsCurrent -update -->"
	limitsEndMark   = "<!-- END GENERATED -->"
)

// filledSample returns a command payload of type t with every string set,
// every slice of one element and every pointer set, so walkData visits
// every string field it can hold.
func filledSample(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	fillAll(v)
	return v
}

func fillAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillAll(v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i))
			}
		}
	}
}

var classNames = map[fieldClass]string{classText: "text", classLabel: "label", classID: "id", classKey: "key"}

// classRules says what each class allows; the limit is the table's.
var classRules = []struct {
	class fieldClass
	rule  string
}{
	{classKey, "letters, digits and `-` `_` `.` `~` `:` `@`, the first a letter or digit"},
	{classID, "printable ASCII (0x21-0x7E) but quotes (`\"` `'` `` ` ``), backslash, `<`, `>`, `{` and `}`"},
	{classLabel, "valid UTF-8 on one line: no control character (U+0000-U+001F, U+007F-U+009F)"},
	{classText, "valid UTF-8; no control character but newline, tab, and a carriage return right before a newline"},
}

// limitsTable renders every string field of every command with its rule and
// limit under the default policy.
func limitsTable() string {
	d := Decider{Policy: DefaultPolicy()}
	type row struct {
		class    fieldClass
		commands []string
	}
	rows := map[string]*row{}
	index := regexp.MustCompile(`\[0\]`)
	for _, sample := range commandSamples {
		data := filledSample(reflect.TypeOf(sample)).Interface().(CommandData)
		_ = walkData(data, func(path, _ string, class fieldClass) error {
			path = index.ReplaceAllString(path, "[]")
			r, ok := rows[path]
			if !ok {
				r = &row{class: class}
				rows[path] = r
			}
			r.commands = append(r.commands, string(sample.CommandType()))
			return nil
		})
	}
	var b strings.Builder
	b.WriteString("| class | allows |\n|---|---|\n")
	for _, r := range classRules {
		fmt.Fprintf(&b, "| %s | %s |\n", classNames[r.class], r.rule)
	}
	b.WriteString("\n| field | commands | class | at most (bytes) |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| `commandId` | every | %s | %d |\n", classNames[classID], MaxIDLen)
	fmt.Fprintf(&b, "| `orderId` | every | %s | %d |\n", classNames[classKey], MaxOrderIDLen)
	fmt.Fprintf(&b, "| `correlationId`, `userId` | every (optional) | %s | %d |\n", classNames[classID], MaxIDLen)
	paths := make([]string, 0, len(rows))
	for p := range rows {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		r := rows[p]
		cmds := strings.Join(r.commands, ", ")
		if len(r.commands) > 6 {
			cmds = fmt.Sprintf("%d commands", len(r.commands))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d |\n", p, cmds, classNames[r.class], d.limitOf(r.class))
	}
	return b.String()
}

func TestLimitsDocIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(limitsDocPath)
	if err != nil {
		t.Fatalf("read %s: %v", limitsDocPath, err)
	}
	doc := string(raw)
	i := strings.Index(doc, limitsBeginMark)
	j := strings.Index(doc[max(i, 0):], limitsEndMark) + max(i, 0)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-section markers", limitsDocPath)
	}
	want := doc[:i+len(limitsBeginMark)] + "\n" + limitsTable() + doc[j:]
	if want == doc {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(limitsDocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with the limits; run: go test ./order -run TestLimitsDocIsCurrent -update", limitsDocPath)
}

// TestEveryDataStringIsClassified guards the table of field classes: a name
// in it that no command has is a typo, and every id-like field name (…Id,
// …Ids) is an id or a key, never free text by default.
func TestEveryDataStringIsClassified(t *testing.T) {
	seen := map[string]bool{}
	for _, sample := range commandSamples {
		data := filledSample(reflect.TypeOf(sample)).Interface().(CommandData)
		_ = walkData(data, func(path, _ string, class fieldClass) error {
			name := path[strings.LastIndexByte(path, '.')+1:]
			name, _, _ = strings.Cut(name, "[")
			seen[name] = true
			if (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids")) && class != classID && class != classKey {
				t.Errorf("%s of %s is an identifier but checked as %s", path, sample.CommandType(), classNames[class])
			}
			return nil
		})
	}
	for name := range dataFieldClasses {
		if !seen[name] {
			t.Errorf("dataFieldClasses lists %q, which no command has", name)
		}
	}
}
