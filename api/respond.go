package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// Error is the body of every answer that is not a success:
// {"code","message","field"}. Code is a rejection code of the domain
// (order.Code) or one of the API's own (BAD_REQUEST, UNAUTHORIZED,
// FORBIDDEN, NOT_FOUND, BODY_TOO_LARGE, IDEMPOTENCY_KEY_REUSED,
// KAFKA_UNAVAILABLE, TIMEOUT, INTERNAL).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	writeJSON(w, status, Error{Code: code, Message: msg, Field: field})
}

func badRequest(w http.ResponseWriter, field, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf(format, args...), field)
}

func notFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, string(order.CodeOrderNotFound), "order "+id+" not found", "")
}

func internalError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusInternalServerError, "INTERNAL", err.Error(), "")
}

// readError answers a failed Reader call: 404 for a missing order, 500
// otherwise.
func readError(w http.ResponseWriter, id string, err error) {
	if errors.Is(err, projections.ErrNotFound) {
		notFound(w, id)
		return
	}
	internalError(w, err)
}

// MaxBodyBytes is the largest request body the API reads; a larger one is
// answered 413.
const MaxBodyBytes = 1 << 20

// decodeBody reads a JSON body into v: exactly one JSON value (an object),
// at most MaxBodyBytes, no unknown fields. On a bad body it answers 400
// naming the field in the body's terms (413 when too large) and returns
// false. An empty body is allowed when optional.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE",
				fmt.Sprintf("the body is larger than %d bytes, the most the API reads", tooLarge.Limit), "body")
			return false
		}
		badRequest(w, "body", "read body: %v", err)
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return true
		}
		badRequest(w, "body", "a JSON body is required")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		decodeError(w, err)
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		badRequest(w, "body", "the body must be exactly one JSON value; more follows at byte %d", dec.InputOffset())
		return false
	}
	return true
}

// decodeError answers a body json could not decode, in JSON terms.
func decodeError(w http.ResponseWriter, err error) {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		f := jsonField(te.Field)
		if f == "" {
			badRequest(w, "body", "the body must be %s, not %s", jsonKind(te.Type), te.Value)
			return
		}
		badRequest(w, f, "%s must be %s, not %s", f, jsonKind(te.Type), te.Value)
	case errors.As(err, &se):
		badRequest(w, "body", "malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		badRequest(w, "body", "the JSON body ends before its value does")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		badRequest(w, f, "unknown field %q", f)
	default:
		badRequest(w, "body", "bad JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// jsonKind names what a Go type is in JSON: "an object", "an array", ...
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}

// jsonField drops the names of embedded Go structs ("CreateOrder.items.quantity"
// is "items.quantity" in the body).
func jsonField(f string) string {
	parts := strings.Split(f, ".")
	for len(parts) > 1 && parts[0] != "" && parts[0][0] >= 'A' && parts[0][0] <= 'Z' {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// etag renders a version as an entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// parseIfMatch reads If-Match ("<version>", a weak W/"<version>" or a bare
// number). ok is false (and 400 answered) when the header is malformed.
func parseIfMatch(w http.ResponseWriter, r *http.Request) (version *int64, ok bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return nil, true
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		badRequest(w, "If-Match", "If-Match must be an order version like \"3\", not %q", h)
		return nil, false
	}
	return &n, true
}

// visible returns the view as the caller may see it: admin notes only for
// admins.
func visible(p Principal, v projections.View) projections.View {
	if p.Role == RoleAdmin {
		return v
	}
	notes := v.Notes[:0:0]
	for _, n := range v.Notes {
		if !n.Admin {
			notes = append(notes, n)
		}
	}
	v.Notes = notes
	return v
}

// owns reports whether the caller may see the order.
func owns(p Principal, v projections.View) bool {
	return p.Role != RoleCustomer || v.CustomerID == p.Subject
}

// visibleEvents drops admin notes for non-admins.
func visibleEvents(p Principal, evs []order.Event) []order.Event {
	if p.Role == RoleAdmin {
		return evs
	}
	out := make([]order.Event, 0, len(evs))
	for _, e := range evs {
		if e.Type != order.EvtAdminNoteAdded {
			out = append(out, e)
		}
	}
	return out
}
