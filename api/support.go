package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/orderlog/orderlog/order"
)

// The support actions: each endpoint is one command of the order's
// CustomerService context, answered like every other write (the order as of
// the result's version, If-Match, Idempotency-Key). A customer reaches only
// its own orders (execute answers 404 for another's); the roles below say
// who else may.

var (
	adminOnly       = []Role{RoleAdmin}
	adminOrService  = []Role{RoleAdmin, RoleService}
	anyRole         = []Role{RoleCustomer, RoleAdmin, RoleService}
	customerOrAdmin = []Role{RoleCustomer, RoleAdmin}
)

// support decodes the body into a T (optional: an empty body is a zero T),
// lets fill complete or check it (fill answers and returns false to stop)
// and executes it as one command on the path's order, for callers of roles.
func support[T order.CommandData](s *Server, w http.ResponseWriter, r *http.Request, roles []Role, optional bool, fill func(*T) bool) {
	if !requireRole(w, r, roles...) {
		return
	}
	var b T
	if !decodeBody(w, r, &b, optional) {
		return
	}
	if fill != nil && !fill(&b) {
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

// approveOrder is ApproveOrder: lifts every approval hold (admin).
func (s *Server) approveOrder(w http.ResponseWriter, r *http.Request) {
	support[order.ApproveOrder](s, w, r, adminOnly, true, nil)
}

// flagOrder is FlagOrder (admin, service).
func (s *Server) flagOrder(w http.ResponseWriter, r *http.Request) {
	support(s, w, r, adminOrService, false, func(b *order.FlagOrder) bool {
		return required(w, "code", b.Code) && required(w, "reason", b.Reason)
	})
}

// noteBody is POST /orders/{id}/notes.
type noteBody struct {
	// Kind is "customer" (AddCustomerNote) or "admin" (AddAdminNote).
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Note kinds of noteBody.
const (
	noteCustomer = "customer"
	noteAdmin    = "admin"
)

// addNote is AddCustomerNote (a customer on its own order, an admin) or
// AddAdminNote (an admin), by the body's kind.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, customerOrAdmin...) {
		return
	}
	var b noteBody
	if !decodeBody(w, r, &b, false) {
		return
	}
	var d order.CommandData
	switch b.Kind {
	case noteCustomer:
		d = order.AddCustomerNote{Text: b.Text}
	case noteAdmin:
		if !requireRole(w, r, adminOnly...) {
			return
		}
		d = order.AddAdminNote{Text: b.Text}
	case "":
		badRequest(w, "kind", "kind is required: customer or admin")
		return
	default:
		badRequest(w, "kind", "kind must be customer or admin, not %q", short(b.Kind))
		return
	}
	if !required(w, "text", b.Text) {
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{d}})
}

// changeShippingAddress is ChangeShippingAddress (the customer of the
// order, admin, service).
func (s *Server) changeShippingAddress(w http.ResponseWriter, r *http.Request) {
	support[order.ChangeShippingAddress](s, w, r, anyRole, false, nil)
}

// requestReturn is RequestReturn (the customer of the order, admin,
// service). Without a returnId one is derived from the Idempotency-Key (a
// retry names the same return) or made up.
func (s *Server) requestReturn(w http.ResponseWriter, r *http.Request) {
	support(s, w, r, anyRole, false, func(b *order.RequestReturn) bool {
		if b.ReturnID == "" {
			b.ReturnID = derivedID("return", r)
		}
		return true
	})
}

// receiveReturn is ReceiveReturn of the path's return (admin, service).
func (s *Server) receiveReturn(w http.ResponseWriter, r *http.Request) {
	support(s, w, r, adminOrService, true, func(b *order.ReceiveReturn) bool {
		return fromPath(w, r, "returnId", &b.ReturnID)
	})
}

// requestRefund is RequestRefund, a goodwill refund of part of what was
// captured (admin, service: money back without a return is support's
// decision). Without a refundId one is derived as for a return.
func (s *Server) requestRefund(w http.ResponseWriter, r *http.Request) {
	support(s, w, r, adminOrService, false, func(b *order.RequestRefund) bool {
		if b.RefundID == "" {
			b.RefundID = derivedID("refund", r)
		}
		return true
	})
}

// recordRefund is RecordRefund of the path's refund: the payment gateway
// paid it (admin, service).
func (s *Server) recordRefund(w http.ResponseWriter, r *http.Request) {
	support(s, w, r, adminOrService, false, func(b *order.RecordRefund) bool {
		return fromPath(w, r, "refundId", &b.RefundID)
	})
}

// fromPath sets *v to the path value name; the body may repeat it but not
// name another (400).
func fromPath(w http.ResponseWriter, r *http.Request, name string, v *string) bool {
	p := r.PathValue(name)
	if *v != "" && *v != p {
		badRequest(w, name, "%s is the path's (%s); leave it out of the body", name, short(p))
		return false
	}
	*v = p
	return true
}

// required answers 400 naming field when v is empty.
func required(w http.ResponseWriter, field, v string) bool {
	if v == "" {
		badRequest(w, field, "%s is required", field)
		return false
	}
	return true
}

// derivedID is an id for a return or refund the caller did not name:
// "<kind>-" and 16 hex digits of the Idempotency-Key's hash, so that a
// retry names the same one, or random without a key.
func derivedID(kind string, r *http.Request) string {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return kind + "-" + newUUID()
	}
	sum := sha256.Sum256([]byte("orderlog/api-" + kind + "\x00" + r.PathValue("id") + "\x00" + key))
	return kind + "-" + hex.EncodeToString(sum[:8])
}

// short is s cut to 64 bytes, for echoing a caller's value in a message.
func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
