package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// visibleOrder reads the current view of an order the caller may see; it
// answers 404 (absent, or another customer's) or 500 and returns false
// otherwise.
func (s *Server) visibleOrder(w http.ResponseWriter, r *http.Request, id string) (projections.View, bool) {
	v, err := s.cfg.Reader.Order(r.Context(), id)
	if err != nil {
		readError(w, id, err)
		return v, false
	}
	if !owns(principalFrom(r.Context()), v) {
		notFound(w, id)
		return v, false
	}
	return v, true
}

// getOrder answers the order now, or as of ?version=N or ?at=RFC3339 (time
// travel: its events folded with order.Evolve up to that point).
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, q := r.PathValue("id"), r.URL.Query()
	p := principalFrom(r.Context())
	var v projections.View
	var err error
	switch {
	case q.Has("version") && q.Has("at"):
		badRequest(w, "version", "give version or at, not both")
		return
	case q.Has("version"):
		n, perr := strconv.ParseInt(q.Get("version"), 10, 64)
		if perr != nil || n < 1 {
			badRequest(w, "version", "version must be a positive integer, not %q", q.Get("version"))
			return
		}
		v, err = s.foldUpTo(r, id, func(e order.Event) bool { return e.Seq <= n })
		if err == nil && v.Version < n && owns(p, v) {
			writeError(w, http.StatusNotFound, "VERSION_NOT_FOUND",
				fmt.Sprintf("order %s has no version %d; its current version is %d", id, n, v.Version), "version")
			return
		}
	case q.Has("at"):
		t, perr := time.Parse(time.RFC3339Nano, q.Get("at"))
		if perr != nil {
			badRequest(w, "at", "at must be an RFC 3339 time, not %q", q.Get("at"))
			return
		}
		v, err = s.foldUpTo(r, id, func(e order.Event) bool { return !e.Time.After(t) })
	default:
		v, err = s.cfg.Reader.Order(r.Context(), id)
	}
	if err != nil {
		readError(w, id, err)
		return
	}
	if !owns(p, v) {
		notFound(w, id)
		return
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, visible(p, v))
}

// foldUpTo folds the order's events from the first while keep holds. No
// event kept is not found.
func (s *Server) foldUpTo(r *http.Request, id string, keep func(order.Event) bool) (projections.View, error) {
	evs, err := s.cfg.Reader.Events(r.Context(), id, 1, 0)
	if err != nil {
		return projections.View{}, err
	}
	var v projections.View
	for _, e := range evs {
		if !keep(e) {
			break
		}
		v = projections.Evolve(v, e) // order.Evolve plus the view's extras
	}
	if v.Version == 0 {
		return v, projections.ErrNotFound
	}
	return v, nil
}

// OrderList is the body of GET /orders.
type OrderList struct {
	Orders []projections.View `json:"orders"`
	// Next is the cursor of the following page; empty on the last.
	Next string `json:"next,omitempty"`
}

// listOrders pages through orders newest first: all (admin, service), a
// customer's (?customer=, always the caller's own for a customer) or those
// in a status (?status=). With both customer and status, the customer's
// pages are filtered by status, so a page may hold fewer than limit.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := principalFrom(r.Context())
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			badRequest(w, "limit", "limit must be 1 to 1000, not %q", l)
			return
		}
		limit = n
	}
	customer, status := q.Get("customer"), order.Status(q.Get("status"))
	if p.Role == RoleCustomer {
		if customer != "" && customer != p.Subject {
			writeError(w, http.StatusForbidden, "FORBIDDEN", "a customer lists only its own orders", "customer")
			return
		}
		customer = p.Subject
	}
	if status != "" && !slices.Contains(statuses, status) {
		badRequest(w, "status", "unknown status %q", status)
		return
	}
	ctx, cursor := r.Context(), q.Get("cursor")
	var pg projections.Page
	var err error
	switch {
	case customer != "":
		pg, err = s.cfg.Reader.OrdersByCustomer(ctx, customer, cursor, limit)
		if err == nil && status != "" {
			pg.Orders = slices.DeleteFunc(pg.Orders, func(v projections.View) bool { return v.Status != status })
		}
	case status != "":
		pg, err = s.cfg.Reader.OrdersByStatus(ctx, status, cursor, limit)
	default:
		pg, err = s.cfg.Reader.Orders(ctx, cursor, limit)
	}
	if errors.Is(err, projections.ErrBadCursor) {
		badRequest(w, "cursor", "%v", err)
		return
	}
	if err != nil {
		internalError(w, err)
		return
	}
	out := OrderList{Orders: make([]projections.View, 0, len(pg.Orders)), Next: pg.Next}
	for _, v := range pg.Orders {
		out.Orders = append(out.Orders, visible(p, v))
	}
	writeJSON(w, http.StatusOK, out)
}

var statuses = []order.Status{order.StatusDraft, order.StatusPlaced, order.StatusConfirmed, order.StatusShipped,
	order.StatusDelivered, order.StatusCancelled, order.StatusReturnRequested, order.StatusReturned}

// OrderStatus is the body of GET /orders/{id}/status.
type OrderStatus struct {
	OrderID       string                     `json:"orderId"`
	Status        order.Status               `json:"status"`
	Version       int64                      `json:"version"`
	UpdatedAt     time.Time                  `json:"updatedAt"`
	StatusHistory []projections.StatusChange `json:"statusHistory"`
	Tracking      []order.Tracking           `json:"tracking"`
}

func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request) {
	v, ok := s.visibleOrder(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, OrderStatus{OrderID: v.OrderID, Status: v.Status, Version: v.Version,
		UpdatedAt: v.UpdatedAt, StatusHistory: v.StatusHistory, Tracking: v.Tracking})
}

// EventList is the body of GET /orders/{id}/events and GET /events.
type EventList struct {
	Events []order.Event `json:"events"`
}

// orderEvents answers the order's audit trail, ?from= and ?to= bounding
// the sequence numbers.
func (s *Server) orderEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	from, ok := intParam(w, r, "from")
	if !ok {
		return
	}
	to, ok := intParam(w, r, "to")
	if !ok {
		return
	}
	v, ok := s.visibleOrder(w, r, id)
	if !ok {
		return
	}
	evs, err := s.cfg.Reader.Events(r.Context(), id, from, to)
	if err != nil {
		readError(w, id, err)
		return
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, EventList{Events: nonNil(visibleEvents(principalFrom(r.Context()), evs))})
}

func intParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		badRequest(w, name, "%s must be a non-negative integer, not %q", name, s)
		return 0, false
	}
	return n, true
}

func nonNil(evs []order.Event) []order.Event {
	if evs == nil {
		return []order.Event{}
	}
	return evs
}

// eventsByType answers events of one type (?type=, required) stamped in
// [from, to] (RFC 3339, optional), newest first, for admin and service.
func (s *Server) eventsByType(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, RoleAdmin, RoleService) {
		return
	}
	q := r.URL.Query()
	t := order.EventType(q.Get("type"))
	if t == "" {
		badRequest(w, "type", "type is required")
		return
	}
	if !slices.Contains(order.EventTypes(), t) {
		badRequest(w, "type", "unknown event type %q", t)
		return
	}
	if t == order.EvtAdminNoteAdded && !requireRole(w, r, RoleAdmin) {
		return
	}
	var bounds [2]time.Time
	for i, name := range []string{"from", "to"} {
		if v := q.Get(name); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				badRequest(w, name, "%s must be an RFC 3339 time, not %q", name, v)
				return
			}
			bounds[i] = tm
		}
	}
	limit, ok := intParam(w, r, "limit")
	if !ok {
		return
	}
	evs, err := s.cfg.Reader.EventsByType(r.Context(), t, bounds[0], bounds[1], int(limit))
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, EventList{Events: nonNil(evs)})
}

// dashboard answers every number of the dashboard page (dashboard.Snapshot),
// for admin and service.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, RoleAdmin, RoleService) {
		return
	}
	snap, err := dashboard.Collect(r.Context(), s.cfg.Reader, s.cfg.Queues, time.Now())
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}
