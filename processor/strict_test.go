package processor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/topics"
)

// Input the contract forbids is never half-read: a record with two JSON
// values, bytes after the JSON or invalid UTF-8 is dead-lettered whole with
// a reason naming the fault; a command without data is answered
// VALIDATION_FAILED naming data.
func testStrictInput(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	create := `{"commandId":"s1","type":"CreateOrder","orderId":"strict","data":{"customerId":"c","currency":"USD"}}`
	poison := []struct {
		value string
		want  string
	}{
		{create + `{"commandId":"s2","type":"AddCustomerNote","orderId":"strict","data":{"text":"lost"}}`, "second JSON value"},
		{create + ` garbage`, "after the command"},
		{`{"commandId":"s3","type":"AddCustomerNote","orderId":"strict","data":{"text":"bad ` + "\xff" + ` byte"}}`, "data.text"},
	}
	for _, p := range poison {
		b.sendRaw(&kgo.Record{Key: []byte("strict"), Value: []byte(p.value)})
	}
	b.sendRaw(&kgo.Record{Key: []byte("strict"), Value: []byte(create)},
		&kgo.Record{Key: []byte("strict"), Value: []byte(`{"commandId":"s4","type":"AddCustomerNote","orderId":"strict"}`)})
	dl := b.read(b.names.DLQ, len(poison), 30*time.Second)
	for i, p := range poison {
		assert.Equal(t, p.value, string(dl[i].Value), "the dead letter is the record, whole")
		assert.Contains(t, headers(dl[i])[topics.HeaderDLQError], p.want)
	}
	res := b.results(2)
	assert.Equal(t, order.ResultAccepted, res["s1"].Status, "%s %s", res["s1"].Code, res["s1"].Message)
	require.Equal(t, order.ResultRejected, res["s4"].Status)
	assert.Equal(t, order.CodeValidationFailed, res["s4"].Code)
	assert.Equal(t, "data", res["s4"].Field, res["s4"].Message)
}

func TestStrictInputOnKfake(t *testing.T)     { testStrictInput(t, kfakeBed(t)) }
func TestStrictInputOnRealKafka(t *testing.T) { testStrictInput(t, realBed(t)) }
