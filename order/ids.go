package order

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
)

// EventID derives the id of the index-th event a command emits: a name-based
// UUID (version 5 layout, SHA-1) of the order id, command id and index. Ids
// are therefore stable when the same command is decided again, and a
// duplicate's original event ids can be recomputed from its command id.
func EventID(orderID, commandID string, index int) string {
	h := sha1.New()
	h.Write([]byte("orderlog/event\x00"))
	h.Write([]byte(orderID))
	h.Write([]byte{0})
	h.Write([]byte(commandID))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, int64(index), 10))
	var sum [20]byte
	h.Sum(sum[:0])
	sum[6] = (sum[6] & 0x0f) | 0x50
	sum[8] = (sum[8] & 0x3f) | 0x80
	return formatUUID(sum[:16])
}

func formatUUID(b []byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

// OrderNumber derives a human-friendly order number from the order id.
func OrderNumber(orderID string) string {
	sum := sha1.Sum([]byte(orderID))
	const digits = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	out := []byte("ORD-")
	for _, c := range sum[:10] {
		out = append(out, digits[int(c)%len(digits)])
	}
	return string(out)
}
