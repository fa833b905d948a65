package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kgo"
)

// command is a JSON command as an operator types it for kcat.
func command(id, typ, orderID, correlationID, data string) keyed {
	return keyed{key: orderID, commandID: id, value: fmt.Sprintf(`{"commandId":%q,"type":%q,"orderId":%q,"correlationId":%q,"data":%s}`,
		id, typ, orderID, correlationID, data)}
}

// lifecycle is one order from creation to delivery; the order totals 4853
// (2 x 1999, shipping 500, New York tax 355).
func lifecycle(orderID, correlationID string) []keyed {
	c := func(n int, typ, data string) keyed {
		return command(fmt.Sprintf("%s-c%d", orderID, n), typ, orderID, correlationID, data)
	}
	return []keyed{
		c(1, "CreateOrder", `{"customerId":"cust-1","currency":"USD","items":[{"productId":"sku-1","quantity":2,"unitPrice":1999}]}`),
		c(2, "UpdateShippingDetails", `{"recipientName":"Jane Doe","address":{"line1":"1 Main St","city":"New York","state":"NY","postalCode":"10001","country":"US"}}`),
		c(3, "PlaceOrder", `{}`),
		c(4, "InitiatePayment", `{"paymentId":"pay-1","paymentMethod":"CARD"}`),
		c(5, "AuthorizePayment", `{"paymentId":"pay-1","amount":5000}`),
		c(6, "ReserveInventory", `{"reservationId":"res-1","items":[{"productId":"sku-1","quantity":2}]}`),
		c(7, "CapturePayment", `{"paymentId":"pay-1"}`),
		c(8, "ShipOrder", `{"carrier":"UPS","trackingNumber":"1Z999AA10123456784"}`),
		c(9, "DeliverOrder", `{"receivedBy":"Jane Doe"}`),
	}
}

// lifecycleEvents are the event types lifecycle produces, in order.
var lifecycleEvents = []string{
	// CreateOrder
	"ORDER_CREATED", "ORDER_ITEMS_ADDED",
	// UpdateShippingDetails
	"SHIPPING_DETAILS_UPDATED",
	// PlaceOrder: DRAFT -> PLACED
	"TAX_CALCULATED", "ORDER_STATUS_CHANGED",
	// InitiatePayment, AuthorizePayment, ReserveInventory
	"PAYMENT_INITIATED", "PAYMENT_AUTHORIZED", "INVENTORY_RESERVED",
	// CapturePayment: PLACED -> CONFIRMED
	"PAYMENT_CAPTURED", "ORDER_STATUS_CHANGED",
	// ShipOrder: CONFIRMED -> SHIPPED
	"SHIPMENT_DISPATCHED", "TRACKING_INFORMATION_ADDED", "ORDER_STATUS_CHANGED",
	// DeliverOrder: SHIPPED -> DELIVERED
	"ORDER_DELIVERED", "ORDER_STATUS_CHANGED",
}

func randomID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// javaPartition is where the Java client (murmur2), and orderd, put key.
func javaPartition(key string, n int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(key)}, n))
}

// kcatDefaultPartition is where kcat puts key without
// -X partitioner=murmur2_random: librdkafka's consistent_random, CRC32.
func kcatDefaultPartition(key string, n int) int32 {
	return int32(crc32.ChecksumIEEE([]byte(key)) % uint32(n))
}

// strayKey returns an order id that kcat's default partitioner places on
// another partition than orderd expects.
func strayKey(prefix string, n int) string {
	for {
		k := randomID(prefix)
		if javaPartition(k, n) != kcatDefaultPartition(k, n) {
			return k
		}
	}
}
