package api

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderlog/orderlog/order"
)

// write is one request that changes an order: one command, or (PUT with
// both shipping and billing) two, sent one after the other.
type write struct {
	orderID string
	create  bool
	datas   []order.CommandData
}

// execute sends the write's commands, waits for their results and answers:
// ACCEPTED 201 (create) or 200, DUPLICATE 200, both with ETag and the order
// as of the result's version once the projection has reached it; REJECTED
// 409/412 (VERSION_CONFLICT), 404 (ORDER_NOT_FOUND) or 422; a failed send
// 503; no result within Config.Timeout 504.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, wr write) {
	p := principalFrom(r.Context())
	expected, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	// The processor's limits, checked before anything is sent: the caller
	// gets a 400 naming the field instead of a rejection later.
	if rej := rejection(order.ValidateOrderID(wr.orderID)); rej != nil {
		badRequest(w, rej.Field, "%s", rej.Message)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if rej := rejection(order.ValidateID("Idempotency-Key", key)); rej != nil {
			badRequest(w, rej.Field, "%s", rej.Message)
			return
		}
	}
	if !wr.create && p.Role == RoleCustomer {
		if _, ok := s.visibleOrder(w, r, wr.orderID); !ok {
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if !s.bindKey(w, r, p, key, wr) {
		return
	}
	if key == "" {
		key = newUUID()
	}
	corr := r.Header.Get("X-Correlation-ID")
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	var res order.CommandResult
	for i, d := range wr.datas {
		c := order.Command{ID: key, Type: d.CommandType(), OrderID: wr.orderID, ExpectedVersion: expected,
			CorrelationID: corr, UserID: p.Subject, Data: d}
		if i > 0 {
			c.ID = key + "/" + strconv.Itoa(i)
		}
		if c.CorrelationID == "" {
			c.CorrelationID = key
		}
		log := s.log.With("orderId", c.OrderID, "commandId", c.ID, "correlationId", c.CorrelationID, "type", c.Type)
		var err error
		if res, err = s.roundTrip(ctx, c); err != nil {
			log.Warn("command failed", "err", err)
			s.answerFailure(w, err)
			return
		}
		log.Debug("command result", "status", res.Status, "code", res.Code, "version", res.Version)
		if res.Status == order.ResultRejected {
			if wr.create && res.Code == order.CodeOrderAlreadyExists && !s.mayKnow(r, p, wr.orderID) {
				notFound(w, wr.orderID) // as for a missing order: whose it is stays unsaid
				return
			}
			answerRejection(w, res, expected != nil)
			return
		}
		if expected != nil {
			v := res.Version
			expected = &v
		}
	}
	status := http.StatusOK
	if wr.create && res.Status == order.ResultAccepted {
		status = http.StatusCreated
	}
	if wr.create {
		w.Header().Set("Location", Prefix+"/orders/"+wr.orderID)
	}
	s.answerOrderAt(w, r, p, status, res)
}

var (
	errSend    = errors.New("send command")
	errNoReply = errors.New("no result in time")
)

func (s *Server) roundTrip(ctx context.Context, c order.Command) (order.CommandResult, error) {
	if err := s.cfg.Commands.Send(ctx, c); err != nil {
		return order.CommandResult{}, fmt.Errorf("%w %s: %w", errSend, c.ID, err)
	}
	res, err := s.cfg.Results.Wait(ctx, c.ID)
	if err != nil {
		return res, fmt.Errorf("%w for command %s: %w", errNoReply, c.ID, err)
	}
	return res, nil
}

func (s *Server) answerFailure(w http.ResponseWriter, err error) {
	if errors.Is(err, errSend) {
		writeError(w, http.StatusServiceUnavailable, "KAFKA_UNAVAILABLE", err.Error(), "")
		return
	}
	writeError(w, http.StatusGatewayTimeout, "TIMEOUT", err.Error(), "")
}

func answerRejection(w http.ResponseWriter, res order.CommandResult, ifMatch bool) {
	status := http.StatusUnprocessableEntity
	switch res.Code {
	case order.CodeVersionConflict:
		status = http.StatusConflict
		if ifMatch {
			status = http.StatusPreconditionFailed
		}
	case order.CodeOrderNotFound:
		status = http.StatusNotFound
	}
	// The command's data is the request body: "data.items[0].quantity" is
	// "items[0].quantity" to the caller.
	writeError(w, status, string(res.Code), res.Message, strings.TrimPrefix(res.Field, "data."))
}

// answerOrderAt waits (bounded) until the projection reaches the result's
// version and answers with the order as of that version. If the projection
// lags, the body is the command result instead.
func (s *Server) answerOrderAt(w http.ResponseWriter, r *http.Request, p Principal, status int, res order.CommandResult) {
	w.Header().Set("ETag", etag(res.Version))
	ctx := r.Context()
	if _, err := s.cfg.Reader.WaitForVersion(ctx, res.OrderID, res.Version, s.cfg.Timeout); err != nil {
		s.log.Warn("projection did not reach the command's version", "orderId", res.OrderID, "commandId", res.CommandID, "err", err)
		writeJSON(w, status, res)
		return
	}
	v, err := s.cfg.Reader.Order(ctx, res.OrderID)
	if err == nil && v.Version != res.Version {
		v, err = s.cfg.Reader.OrderAtVersion(ctx, res.OrderID, res.Version)
	}
	if err != nil {
		s.log.Warn("read order after write", "orderId", res.OrderID, "err", err)
		writeJSON(w, status, res)
		return
	}
	if !owns(p, v) { // a create answered DUPLICATE for an id another customer took with the same command id
		w.Header().Del("ETag")
		notFound(w, res.OrderID)
		return
	}
	writeJSON(w, status, visible(p, v))
}

// mayKnow reports whether the caller may learn that order id exists: it is
// not a customer, or the order is its own.
func (s *Server) mayKnow(r *http.Request, p Principal, id string) bool {
	if p.Role != RoleCustomer {
		return true
	}
	v, err := s.cfg.Reader.Order(r.Context(), id)
	return err == nil && owns(p, v)
}

// orderIDFor derives the id of a new order from the caller and its
// Idempotency-Key, so that a retried create names the same order and is
// deduplicated; without a key the id is random.
func orderIDFor(p Principal, key string) string {
	if key == "" {
		return newUUID()
	}
	sum := sha1.Sum([]byte("orderlog/api-order\x00" + p.Subject + "\x00" + key))
	sum[6] = (sum[6] & 0x0f) | 0x50
	sum[8] = (sum[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// createBody is POST /orders: CreateOrder's fields and an optional orderId.
type createBody struct {
	OrderID string `json:"orderId,omitempty"`
	order.CreateOrder
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var b createBody
	if !decodeBody(w, r, &b, false) {
		return
	}
	switch {
	case p.Role == RoleCustomer && b.CustomerID == "":
		b.CustomerID = p.Subject
	case p.Role == RoleCustomer && b.CustomerID != p.Subject:
		writeError(w, http.StatusForbidden, "FORBIDDEN", "a customer creates orders only for itself", "customerId")
		return
	case b.CustomerID == "":
		badRequest(w, "customerId", "customerId is required")
		return
	}
	if b.OrderID == "" {
		b.OrderID = orderIDFor(p, r.Header.Get("Idempotency-Key"))
	}
	s.execute(w, r, write{orderID: b.OrderID, create: true, datas: []order.CommandData{b.CreateOrder}})
}

// updateBody is PUT /orders/{id}: new shipping and/or billing details.
type updateBody struct {
	Shipping *order.ShippingInput `json:"shipping,omitempty"`
	Billing  *order.BillingInput  `json:"billing,omitempty"`
}

func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request) {
	var b updateBody
	if !decodeBody(w, r, &b, false) {
		return
	}
	var datas []order.CommandData
	if b.Shipping != nil {
		datas = append(datas, order.UpdateShippingDetails{ShippingInput: *b.Shipping})
	}
	if b.Billing != nil {
		datas = append(datas, order.UpdateBillingDetails{BillingInput: *b.Billing})
	}
	if len(datas) == 0 {
		badRequest(w, "shipping", "give shipping, billing or both")
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: datas})
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	var b order.CancelOrder
	if !decodeBody(w, r, &b, true) {
		return
	}
	if b.Reason == "" {
		b.Reason = r.URL.Query().Get("reason")
	}
	if b.Reason == "" {
		p := principalFrom(r.Context())
		b.Reason = "cancelled through the API by " + string(p.Role) + " " + p.Subject
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

func (s *Server) addItems(w http.ResponseWriter, r *http.Request) {
	var b order.AddItems
	if !decodeBody(w, r, &b, false) {
		return
	}
	if len(b.Items) == 0 {
		badRequest(w, "items", "items must list at least one item")
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

// itemBody is PUT /orders/{id}/items/{itemId}.
type itemBody struct {
	Quantity  *int64 `json:"quantity"`
	UnitPrice int64  `json:"unitPrice,omitempty"`
	Name      string `json:"name,omitempty"`
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) {
	var b itemBody
	if !decodeBody(w, r, &b, false) {
		return
	}
	if b.Quantity == nil {
		badRequest(w, "quantity", "quantity is required")
		return
	}
	it := order.LineItem{ProductID: r.PathValue("itemId"), Name: b.Name, Quantity: *b.Quantity, UnitPrice: b.UnitPrice}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{order.UpdateItems{Items: []order.LineItem{it}}}})
}

func (s *Server) removeItem(w http.ResponseWriter, r *http.Request) {
	d := order.RemoveItems{ProductIDs: []string{r.PathValue("itemId")}}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{d}})
}

// placeOrder is PlaceOrder: the draft becomes an order, and the fulfillment
// saga (where one runs) takes it through payment, stock and shipping.
func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request) {
	var b order.PlaceOrder
	if !decodeBody(w, r, &b, true) {
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

// requestCancellation is RequestCancellation: for an order already in
// payment or fulfillment; the saga cancels it, refunds and releases.
func (s *Server) requestCancellation(w http.ResponseWriter, r *http.Request) {
	var b order.RequestCancellation
	if !decodeBody(w, r, &b, false) {
		return
	}
	if b.Reason == "" {
		badRequest(w, "reason", "reason is required")
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

func (s *Server) shipOrder(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, RoleAdmin, RoleService) {
		return
	}
	var b order.ShipOrder
	if !decodeBody(w, r, &b, true) {
		return
	}
	s.execute(w, r, write{orderID: r.PathValue("id"), datas: []order.CommandData{b}})
}

// rejection is err as the *order.Rejection it is, or nil.
func rejection(err error) *order.Rejection {
	var rej *order.Rejection
	if errors.As(err, &rej) {
		return rej
	}
	return nil
}
