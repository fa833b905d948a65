package api

import (
	"net/http"
	"strings"

	"github.com/orderlog/orderlog/order"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// OpenAPI returns the OpenAPI 3 document of the API. TestOpenAPIMatchesMux
// checks that it describes exactly the routes the server registers.
func OpenAPI() obj {
	idParam := param("id", "path", "the order id", true)
	idParam["schema"] = orderIDSchema()
	returnParam := param("returnId", "path", "the return's id, as RequestReturn named it", true)
	refundParam := param("refundId", "path", "the refund's id, as RequestRefund named it", true)
	itemParam := param("itemId", "path", "the product id of the line", true)
	ifMatch := param("If-Match", "header", `the order version the change expects, as "3"; a mismatch is 412`, false)
	idem := param("Idempotency-Key", "header", "becomes the commandId: a retry with the same key and request is answered as the original; "+
		"the same key with another request (method, path, body or caller) is 422 IDEMPOTENCY_KEY_REUSED", false)
	write := func(summary, body string, created bool, params ...obj) obj {
		o := op(summary, append([]obj{idem}, params...), writeResponses(created))
		if body != "" {
			o["requestBody"] = obj{"required": true, "content": jsonContent(ref(body))}
		}
		return o
	}
	orderID := []obj{idParam, ifMatch}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "orderlog API", "version": "1",
			"description": "Writes put a command on order.commands and answer once its result arrives; reads come from the Redis projections."},
		"servers":    []obj{{"url": Prefix}},
		"security":   []obj{{"bearer": []string{}}},
		"components": components(),
		"paths": obj{
			"/openapi.json": obj{"get": withSecurity(op("This document", nil, obj{"200": resp("the OpenAPI document", nil)}), nil)},
			"/orders": obj{
				"post": write("Create an order (CreateOrder)", "CreateOrder", true),
				"get": op("List orders, newest first", []obj{
					param("customer", "query", "only this customer's orders (a customer always sees only its own)", false),
					param("status", "query", "only orders now in this status", false),
					param("cursor", "query", "the next cursor of the previous page", false),
					param("limit", "query", "page size, 1 to 1000 (default 50)", false),
				}, readResponses("OrderList")),
			},
			"/orders/{id}": obj{
				"get": op("Get an order, now or as of a version or time (time travel)", []obj{idParam,
					param("version", "query", "the order as of this version", false),
					param("at", "query", "the order as of this RFC 3339 time", false),
				}, readResponses("Order")),
				"put":    write("Update shipping and/or billing details", "OrderUpdate", false, orderID...),
				"delete": write("Cancel an order (CancelOrder); reason in the body or ?reason=", "", false, orderID...),
			},
			"/orders/{id}/items": obj{"post": write("Add items (AddItems)", "AddItems", false, orderID...)},
			"/orders/{id}/items/{itemId}": obj{
				"put":    write("Set a line's quantity and price (UpdateItems)", "ItemUpdate", false, append(orderID, itemParam)...),
				"delete": write("Remove a line (RemoveItems)", "", false, append(orderID, itemParam)...),
			},
			"/orders/{id}/place": obj{"post": write("Place the draft (PlaceOrder); the fulfillment saga takes it from there", "", false, orderID...)},
			"/orders/{id}/cancellation": obj{"post": write("Ask to cancel an order in payment or fulfillment (RequestCancellation); the saga refunds and releases",
				"CancellationRequest", false, orderID...)},
			"/orders/{id}/approval": obj{"post": write("Approve a held order: lift every approval hold (ApproveOrder); admin", "ApproveOrder", false, orderID...)},
			"/orders/{id}/flags": obj{"post": write("Flag the order for review, optionally holding fulfillment until approved (FlagOrder); admin or service",
				"FlagOrder", false, orderID...)},
			"/orders/{id}/notes": obj{"post": write("Add a note: kind customer (AddCustomerNote; the order's customer or an admin) or admin (AddAdminNote; an admin, seen only by admins)",
				"Note", false, orderID...)},
			"/orders/{id}/shipping-address": obj{"put": write("Change the shipping address of an order that has one (ChangeShippingAddress)",
				"ChangeShippingAddress", false, orderID...)},
			"/orders/{id}/returns": obj{"post": write("Ask to return delivered items (RequestReturn); without returnId one is derived from the Idempotency-Key",
				"RequestReturn", false, orderID...)},
			"/orders/{id}/returns/{returnId}/receipt": obj{"post": write("The returned items arrived (ReceiveReturn); it requests the refund; admin or service",
				"", false, append(orderID, returnParam)...)},
			"/orders/{id}/refunds": obj{"post": write("Ask for a goodwill refund of part of what was captured (RequestRefund); admin or service; without refundId one is derived from the Idempotency-Key",
				"RequestRefund", false, orderID...)},
			"/orders/{id}/refunds/{refundId}/record": obj{"post": write("The payment gateway made the refund (RecordRefund); admin or service",
				"RecordRefund", false, append(orderID, refundParam)...)},
			"/orders/{id}/ship":   obj{"post": write("Ship the order (ShipOrder); admin or service", "ShipOrder", false, orderID...)},
			"/orders/{id}/status": obj{"get": op("The order's status, history and tracking", []obj{idParam}, readResponses("OrderStatus"))},
			"/orders/{id}/events": obj{"get": op("The order's events (audit trail)", []obj{idParam,
				param("from", "query", "first sequence number", false),
				param("to", "query", "last sequence number", false),
			}, readResponses("EventList"))},
			"/events": obj{"get": op("Events of one type, newest first; admin or service", []obj{
				param("type", "query", "the event type, as ORDER_CREATED", true),
				param("from", "query", "RFC 3339 lower bound of the event time", false),
				param("to", "query", "RFC 3339 upper bound of the event time", false),
				param("limit", "query", "at most this many (default 100)", false),
			}, readResponses("EventList"))},
			"/dashboard": obj{"get": op("Every number of the dashboard page (served at /dashboard); admin or service", nil,
				readResponses("Dashboard"))},
			"/attention": obj{"get": op("The orders that need a support person (compensation failed, held for approval, overdue, flagged, stuck), oldest reason first; admin", []obj{
				param("limit", "query", "at most this many orders (default 100, at most 1000)", false),
				param("order", "query", "only this order: its entry, judged from its view now (an empty list when it needs nothing)", false),
			}, readResponses("AttentionList"))},
		},
	}
}

func op(summary string, params []obj, responses obj) obj {
	o := obj{"summary": summary, "responses": responses}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return o
}

func withSecurity(o obj, sec []obj) obj {
	if sec == nil {
		sec = []obj{}
	}
	o["security"] = sec
	return o
}

func param(name, in, desc string, required bool) obj {
	return obj{"name": name, "in": in, "description": desc, "required": required, "schema": obj{"type": "string"}}
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func resp(desc string, schema obj) obj {
	r := obj{"description": desc}
	if schema != nil {
		r["content"] = jsonContent(schema)
	}
	return r
}

func errResp(desc string) obj { return resp(desc, ref("Error")) }

func readResponses(schema string) obj {
	return obj{
		"200": resp("OK", ref(schema)),
		"400": errResp("a bad parameter, named in field"),
		"401": errResp("no valid bearer token"),
		"403": errResp("the role may not do this"),
		"404": errResp("no such order, or another customer's; VERSION_NOT_FOUND (field version) names the order's current version"),
	}
}

func writeResponses(created bool) obj {
	r := obj{
		"200": resp("accepted, or a duplicate answered as the original; the order as of the new version, ETag the version", ref("Order")),
		"400": errResp("a bad body or header, named in field: one JSON object, fields of the JSON types the schema gives, an orderId by its rule"),
		"401": errResp("no valid bearer token"),
		"403": errResp("the role may not do this"),
		"404": errResp("ORDER_NOT_FOUND: no such order, or another customer's (a customer is never told which)"),
		"413": errResp("BODY_TOO_LARGE: the body is over 1 MiB"),
		"409": errResp("VERSION_CONFLICT"),
		"412": errResp("VERSION_CONFLICT against If-Match"),
		"422": errResp("the command was rejected: code, message, field; or IDEMPOTENCY_KEY_REUSED"),
		"503": errResp("the command could not be sent to Kafka"),
		"504": errResp("no result within the timeout"),
	}
	if created {
		r["201"] = resp("created; Location names the order, ETag its version", ref("Order"))
	}
	return r
}

func components() obj {
	str, integer := obj{"type": "string"}, obj{"type": "integer", "format": "int64"}
	object := func(props obj, required ...string) obj {
		o := obj{"type": "object", "properties": props}
		if len(required) > 0 {
			o["required"] = required
		}
		return o
	}
	lineItem := object(obj{"productId": str, "name": str, "quantity": integer, "unitPrice": integer}, "productId", "quantity")
	address := object(obj{"line1": str, "line2": str, "city": str, "state": str, "postalCode": str, "country": str})
	shipping := object(obj{"recipientName": str, "address": address, "method": str})
	billing := object(obj{"name": str, "email": str, "address": address})
	items := obj{"type": "array", "items": lineItem}
	quantities := obj{"type": "array", "items": object(obj{"productId": str, "quantity": integer, "warehouseId": str}, "productId", "quantity")}
	return obj{
		"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
			"description": "In production a token of the configured OpenID Connect issuer (RS256 or ES256, iss and aud checked; " +
				"the role from the configured claim); in dev mode HS256 with the JWT key (orderctl token). Claims: sub and the role (customer, admin or service)"}},
		"schemas": obj{
			"Error": object(obj{"code": str, "message": str, "field": str}, "code", "message"),
			"CreateOrder": object(obj{"orderId": orderIDSchema(), "customerId": str, "currency": str, "orderNumber": str,
				"sourceChannel": str, "items": items, "shipping": shipping, "billing": billing}, "currency"),
			"OrderUpdate": object(obj{"shipping": shipping, "billing": billing}),
			"AddItems":    object(obj{"items": items}, "items"),
			"ItemUpdate":  object(obj{"quantity": integer, "unitPrice": integer, "name": str}, "quantity"),
			"ShipOrder": object(obj{"shipmentId": str, "warehouseId": str, "items": obj{"type": "array", "items": object(obj{"productId": str, "quantity": integer, "warehouseId": str})},
				"carrier": str, "trackingNumber": str, "trackingUrl": str}),
			"CancellationRequest":   object(obj{"reason": str}, "reason"),
			"ApproveOrder":          object(obj{"comment": str}),
			"FlagOrder":             object(obj{"code": str, "reason": str, "requiresApproval": obj{"type": "boolean"}}, "code", "reason"),
			"Note":                  object(obj{"kind": obj{"type": "string", "enum": []string{noteCustomer, noteAdmin}}, "text": str}, "kind", "text"),
			"ChangeShippingAddress": object(obj{"address": address, "reason": str}, "address"),
			"RequestReturn":         object(obj{"returnId": str, "items": quantities, "reason": str}, "items"),
			"RequestRefund":         object(obj{"refundId": str, "amount": integer, "reason": str}, "amount", "reason"),
			"RecordRefund":          object(obj{"amount": integer, "reason": str, "processorReference": str}, "amount"),
			"Order": object(obj{"orderId": str, "orderNumber": str, "customerId": str, "currency": str, "status": str,
				"version": integer, "lines": obj{"type": "array", "items": obj{"type": "object"}}, "totals": obj{"type": "object"},
				"statusHistory": obj{"type": "array", "items": obj{"type": "object"}}}),
			"OrderList":   object(obj{"orders": obj{"type": "array", "items": ref("Order")}, "next": str}),
			"OrderStatus": object(obj{"orderId": str, "status": str, "version": integer, "statusHistory": obj{"type": "array", "items": obj{"type": "object"}}}),
			"EventList":   object(obj{"events": obj{"type": "array", "items": obj{"type": "object"}}}),
			"AttentionList": object(obj{"at": str, "total": integer, "orders": obj{"type": "array", "items": object(obj{
				"orderId": str, "customerId": str, "status": str, "version": integer, "updatedAt": str,
				"reasons": obj{"type": "array", "items": object(obj{"kind": obj{"type": "string",
					"enum": []string{"COMPENSATION_FAILED", "HELD_FOR_APPROVAL", "OVERDUE", "FLAGGED", "STUCK"}},
					"code": str, "reason": str, "since": str}, "kind", "reason", "since")}})}}),
			"Dashboard": object(obj{"at": str, "ordersByStatus": obj{"type": "object", "additionalProperties": integer},
				"totalOrders": integer, "revenue": obj{"type": "array", "items": object(obj{"currency": str, "day": str, "amount": integer})},
				"eventsPerMinute": obj{"type": "array", "items": object(obj{"minute": str, "total": integer, "byType": obj{"type": "object"}})},
				"recentOrders":    obj{"type": "array", "items": obj{"type": "object"}},
				"projectionLag":   obj{"type": "integer", "format": "int64", "nullable": true},
				"dlqSize":         obj{"type": "integer", "format": "int64", "nullable": true},
				"problems":        obj{"type": "array", "items": str}}),
		},
	}
}

// orderIDSchema is order.ValidateOrderID's rule: what the processor
// accepts as an orderId (TestOrderIDSchemaIsTheProcessorsRule).
func orderIDSchema() obj {
	return obj{"type": "string", "minLength": 1, "maxLength": order.MaxOrderIDLen, "pattern": orderIDPattern}
}

// orderIDPattern is order.ValidateOrderID's charset as a regular expression.
const orderIDPattern = `^[A-Za-z0-9][A-Za-z0-9._~:@-]*$`

// openAPIPaths lists "METHOD /full/path" for every operation of the document.
func openAPIPaths(doc obj) []string {
	var out []string
	for path, item := range doc["paths"].(obj) {
		for method := range item.(obj) {
			out = append(out, strings.ToUpper(method)+" "+Prefix+path)
		}
	}
	return out
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, OpenAPI())
}
