package order

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The limits on a command's identifiers and text. docs/limits.md lists every
// field with its rule; a test keeps that list current.
const (
	// MaxOrderIDLen is the longest orderId, in bytes. The orderId is the
	// Kafka key of every topic, part of Redis keys and a URL path segment,
	// and the saga derives longer ids from it (a reservation id holds it,
	// a saga command id holds it twice), so it is shorter than other ids.
	MaxOrderIDLen = 64
	// MaxIDLen is the longest of every other identifier, in bytes:
	// commandId, correlationId, userId, customerId, productId and the ids
	// in a command's data (paymentId, reservationId, shipmentId, ...).
	MaxIDLen = 256
	// MaxLabelLen is the longest single-line label, in bytes: codes,
	// methods, carriers, tracking numbers, currencies, countries.
	MaxLabelLen = 256
	// MaxMessageLen is the longest rejection message a result carries, in
	// bytes; a longer one is cut at a character boundary and ends in "…".
	MaxMessageLen = 256
	// MaxFieldLen is the longest field path a result carries, in bytes.
	MaxFieldLen = 128
)

// fieldClass is the rule a string field of a command follows.
type fieldClass int

const (
	// classText: valid UTF-8, no control character except newline, tab
	// and a carriage return before a newline, at most Policy.MaxTextLen bytes.
	classText fieldClass = iota
	// classLabel: valid UTF-8 on one line (no control character at all),
	// at most MaxLabelLen bytes.
	classLabel
	// classID: printable ASCII without space, quotes, backslash, angle
	// brackets and braces, at most MaxIDLen bytes.
	classID
	// classKey: letters, digits and - _ . ~ : @, starting with a letter
	// or digit, at most MaxIDLen bytes (MaxOrderIDLen for the orderId):
	// safe as a Kafka key, in a Redis key and as a URL path segment.
	classKey
)

// dataFieldClasses classifies the string fields of command payloads by
// their JSON name; a field not listed is free text.
var dataFieldClasses = map[string]fieldClass{
	"productId": classKey, "productIds": classKey,

	"customerId": classID, "paymentId": classID, "reservationId": classID, "shipmentId": classID,
	"warehouseId": classID, "returnId": classID, "refundId": classID, "notificationId": classID,

	"currency": classLabel, "orderNumber": classLabel, "sourceChannel": classLabel, "method": classLabel,
	"paymentMethod": classLabel, "processorReference": classLabel, "processorResponseCode": classLabel,
	"last4": classLabel, "cardBrand": classLabel, "code": classLabel, "carrier": classLabel,
	"trackingNumber": classLabel, "channel": classLabel, "template": classLabel, "country": classLabel,
	"region": classLabel, "state": classLabel, "postalCode": classLabel,
}

// ValidateOrderID checks an orderId against the limits every command's
// orderId must meet: 1 to MaxOrderIDLen bytes of letters, digits and
// - _ . ~ : @, starting with a letter or digit. It returns a *Rejection
// (VALIDATION_FAILED, field "orderId") or nil. The API checks an id from a
// URL or a request body with it before it sends a command.
func ValidateOrderID(id string) error {
	if id == "" {
		return invalid("orderId", "is required")
	}
	return checkString("orderId", id, classKey, MaxOrderIDLen)
}

// ValidateID checks an identifier such as a commandId, an Idempotency-Key
// or a userId: 1 to MaxIDLen bytes of printable ASCII without space,
// quotes, backslash, angle brackets and braces. field names it in the
// *Rejection.
func ValidateID(field, id string) error {
	if id == "" {
		return invalid(field, "is required")
	}
	return checkString(field, id, classID, MaxIDLen)
}

// Validate checks a command's envelope and payload against the limits:
// ids, type, the presence and type of data, and every string of the data
// (length, charset, valid UTF-8). It does not look at any order; Decide and
// Handle run it before the rules. It returns a *Rejection or nil.
func (d Decider) Validate(c Command) error {
	if err := checkIDs(c); err != nil {
		return err
	}
	return d.validateRest(c)
}

// checkIDs checks what identifies a command: its commandId and orderId.
func checkIDs(c Command) error {
	if err := ValidateID("commandId", c.ID); err != nil {
		return err
	}
	return ValidateOrderID(c.OrderID)
}

// validateRest checks everything of c but its ids.
func (d Decider) validateRest(c Command) error {
	if _, ok := TransitionFor(c.Type); !ok {
		return invalid("type", "unknown command type %s", quoteShort(string(c.Type)))
	}
	if c.Data == nil {
		return invalid("data", "is required; send {} for a command without fields")
	}
	if c.Data.CommandType() != c.Type {
		return invalid("data", "payload %s does not match command type %s", c.Data.CommandType(), c.Type)
	}
	for _, f := range []struct{ name, v string }{{"correlationId", c.CorrelationID}, {"userId", c.UserID}} {
		if err := checkString(f.name, f.v, classID, MaxIDLen); err != nil {
			return err
		}
	}
	if dataStringsOK(c.Data, func(v string, class fieldClass) bool { return checkString("", v, class, d.limitOf(class)) == nil }) {
		return nil
	}
	return walkData(c.Data, func(path, v string, class fieldClass) error {
		return checkString(path, v, class, d.limitOf(class))
	})
}

func (d Decider) limitOf(class fieldClass) int {
	switch class {
	case classText:
		return d.Policy.MaxTextLen
	case classLabel:
		return MaxLabelLen
	}
	return MaxIDLen
}

// CheckUTF8 reports the first string of c, envelope or payload, that is not
// valid UTF-8, as a *Rejection naming the field (VALIDATION_FAILED), or nil.
// A decoder of a binary form (Avro) refuses such input with it.
func CheckUTF8(c Command) error {
	for _, f := range []struct{ name, v string }{
		{"commandId", c.ID}, {"type", string(c.Type)}, {"orderId", c.OrderID},
		{"correlationId", c.CorrelationID}, {"userId", c.UserID},
	} {
		if !utf8.ValidString(f.v) {
			return invalid(f.name, "is not valid UTF-8")
		}
	}
	if c.Data == nil || dataStringsOK(c.Data, func(v string, _ fieldClass) bool { return utf8.ValidString(v) }) {
		return nil
	}
	return walkData(c.Data, func(path, v string, _ fieldClass) error {
		if !utf8.ValidString(v) {
			return invalid(path, "is not valid UTF-8")
		}
		return nil
	})
}

// walkData calls fn for every string in a payload, with its JSON path
// ("data.items[2].name") and class, and stops at the first error.
func walkData(d CommandData, fn func(path, v string, class fieldClass) error) error {
	return walkValue(reflect.ValueOf(d), "data", classText, fn)
}

func walkValue(v reflect.Value, path string, class fieldClass, fn func(string, string, fieldClass) error) error {
	switch v.Kind() {
	case reflect.String:
		return fn(path, v.String(), class)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkValue(v.Elem(), path, class, fn)
	case reflect.Slice:
		for i := range v.Len() {
			if err := walkValue(v.Index(i), path+"["+itoa(i)+"]", class, fn); err != nil {
				return err
			}
		}
	case reflect.Struct:
		return walkStruct(v, path, fn)
	}
	return nil
}

func walkStruct(v reflect.Value, path string, fn func(string, string, fieldClass) error) error {
	for _, f := range fieldsOf(v.Type()) {
		if f.inline {
			if err := walkStruct(v.Field(f.index), path, fn); err != nil {
				return err
			}
			continue
		}
		if err := walkValue(v.Field(f.index), path+"."+f.name, f.class, fn); err != nil {
			return err
		}
	}
	return nil
}

// checkString checks one string against its class and length limit; the
// empty string passes (whether a field is required is for the rules).
func checkString(field, v string, class fieldClass, limit int) error {
	if len(v) > limit {
		return invalid(field, "is %d bytes long, at most %d are allowed", len(v), limit)
	}
	switch class {
	case classKey:
		return checkKey(field, v)
	case classID:
		for i := range len(v) {
			if !idByte(v[i]) {
				return invalid(field, "has %s at byte %d; an identifier is printable ASCII without space, quotes, backslash, <, > and braces",
					quoteByte(v[i]), i)
			}
		}
		return nil
	}
	return checkText(field, v, class == classText)
}

func checkKey(field, v string) error {
	for i := range len(v) {
		c := v[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		switch {
		case i == 0 && !alnum:
			return invalid(field, "starts with %s; it must start with a letter or digit", quoteByte(c))
		case !alnum && !strings.ContainsRune("-_.~:@", rune(c)):
			return invalid(field, "has %s at byte %d; it may hold letters, digits and - _ . ~ : @", quoteByte(c), i)
		}
	}
	return nil
}

// idByte reports whether c may appear in an identifier.
func idByte(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("\"'\\<>{}`", rune(c))
}

// checkText checks valid UTF-8 and control characters; multiline allows
// newline, tab, and a carriage return right before a newline.
func checkText(field, v string, multiline bool) error {
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return invalid(field, "is not valid UTF-8 at byte %d", i)
		case multiline && (r == '\n' || r == '\t' || r == '\r' && strings.HasPrefix(v[i+1:], "\n")):
		case r < 0x20 || 0x7f <= r && r < 0xa0:
			what := "text allows newline and tab"
			if !multiline {
				what = "it must be a single line"
			}
			return invalid(field, "has the control character U+%04X at byte %d; %s", r, i, what)
		}
		i += n
	}
	return nil
}

func quoteByte(c byte) string {
	switch {
	case c == ' ':
		return "a space"
	case c < ' ' || c >= 0x7f:
		return fmt.Sprintf("byte 0x%02X", c)
	}
	return fmt.Sprintf("%q", string(rune(c)))
}

// quoteShort quotes s for a message, cut to 64 bytes.
func quoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q… (%d bytes)", truncate(s, limit), len(s))
}

// truncate returns s as valid UTF-8 of at most limit bytes: unchanged when
// it already is, else cut at a character boundary and ended with "…".
func truncate(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := max(0, limit-len(ellipsis))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
