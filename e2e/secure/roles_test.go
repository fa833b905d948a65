package secure

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// TestEveryRoleWorksOverSASLSSLWithItsOwnPrincipal runs processor,
// projector, api, saga and simulators as five orderd, each with its own
// SCRAM principal and only its ACLs (the projector and the api with their
// own Redis ACL users over TLS with a client certificate), and proves each
// did its part: an order created through the API is accepted (api wrote
// the command, the processor decided, the api read the result) and read
// back (the projector wrote Redis, the api read it); an order placed by
// commands gets its payment initiated and authorized (the saga asked, the
// simulators answered, the processor decided). Kafka's console clients
// read the events as the projector, and are refused a write the projector
// has no ACL for.
func TestEveryRoleWorksOverSASLSSLWithItsOwnPrincipal(t *testing.T) {
	b := needBed(t)
	n := b.ensureTopics(t)
	logDir, err := os.MkdirTemp("", "orderlog-secure-logs-")
	require.NoError(t, err)
	keyPrefix := "sec-" + randomHex() + ":"
	jwtKey := "0123456789abcdef0123456789abcdef"
	apiAddr := freeAddr(t)
	start := time.Now()
	var fleets []*chaoskit.Fleet
	for _, r := range []struct{ role, redisUser string }{
		{"processor", ""}, {"projector", "projector"}, {"api", "api"}, {"saga", ""}, {"simulators", ""},
	} {
		env := b.kafkaEnv(r.role, r.role, r.role+"-secret")
		if r.redisUser != "" {
			env = append(env, b.redisEnv(r.redisUser, r.redisUser+"-secret", keyPrefix)...)
		}
		// A fresh group's first transaction can take longer than the
		// API's default 5 s on a loaded machine.
		env = append(env, "ORDERLOG_API_ADDR="+apiAddr, "ORDERLOG_JWT_KEY="+jwtKey, "ORDERLOG_API_TIMEOUT=30s",
			"ORDERLOG_SIM_LATENCY_MIN=10ms", "ORDERLOG_SIM_LATENCY_MAX=50ms")
		f := chaoskit.NewFleet(t, orderdBin, logDir, env...)
		f.Start()
		fleets = append(fleets, f)
	}
	for _, f := range fleets {
		require.NoError(t, f.WaitReady(90*time.Second), "logs in %s", logDir)
	}
	t.Logf("five orderd ready, each with its own principal, after %s", time.Since(start).Round(time.Millisecond))

	tok, err := api.Token([]byte(jwtKey), "alice", api.RoleCustomer)
	require.NoError(t, err)
	call := func(method, path, body string) (int, string, http.Header) {
		req, err := http.NewRequest(method, "http://"+apiAddr+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out), resp.Header
	}
	// /readyz can answer before the api role's listener is up.
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + apiAddr + "/api/v1/openapi.json")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "the api listens on %s (logs in %s)", apiAddr, logDir)
	apiOrder := "sec-api-" + randomHex()
	code, body, hdr := call("POST", "/api/v1/orders", fmt.Sprintf(`{"orderId":%q,"currency":"USD","items":[{"productId":"sku-1","quantity":2,"unitPrice":1999}]}`, apiOrder))
	require.Equal(t, http.StatusCreated, code, "%s (logs in %s)", body, logDir)
	require.Eventually(t, func() bool {
		code, body, _ := call("GET", hdr.Get("Location"), "")
		return code == http.StatusOK && strings.Contains(body, `"sku-1"`)
	}, 30*time.Second, 100*time.Millisecond, "the projector's view through the api")

	sagaOrder := "sec-saga-" + randomHex()
	produceCommands(t, b, n, sagaOrder)
	var events string
	require.Eventually(t, func() bool {
		_, events, _ = call("GET", "/api/v1/orders/"+sagaOrder+"/events", "")
		return strings.Contains(events, string(order.EvtPaymentInitiated)) && strings.Contains(events, string(order.EvtPaymentAuthorized))
	}, 60*time.Second, 250*time.Millisecond, "the saga and the simulators move a placed order; events: %s; logs in %s", events, logDir)

	javaAsProjector(t, b, n, apiOrder)
	for _, f := range fleets {
		require.NoError(t, f.TerminateAll(30*time.Second))
		require.Empty(t, f.Crashes())
	}
	os.RemoveAll(logDir)
}

// produceCommands creates and places an order by commands, as an upstream
// system with its own (here: admin) principal would.
func produceCommands(t *testing.T, b bed, n topics.Names, id string) {
	t.Helper()
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	cl := b.admin(t, kgo.DefaultProduceTopic(n.Commands))
	for i, d := range []order.CommandData{
		order.CreateOrder{CustomerID: "alice", Currency: "USD", Items: []order.LineItem{{ProductID: "sku-1", Quantity: 1, UnitPrice: 1999}}},
		order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Alice", Address: addr}},
		order.PlaceOrder{},
	} {
		v, err := schemas.CommandJSON(order.Command{ID: fmt.Sprintf("%s-c%d", id, i), Type: d.CommandType(), OrderID: id, Data: d})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Key: []byte(id), Value: v}).FirstErr())
		cancel()
	}
}

// javaAsProjector: clients nobody here wrote, Kafka's own console
// consumer and producer, read order.events over SASL_SSL as the projector,
// and are refused a write to order.commands, for which the projector has no
// ACL. (kcat, librdkafka 2.0.2, is refused by this broker's SCRAM even as
// admin, while franz-go and the Java clients authenticate: so Java.)
func javaAsProjector(t *testing.T, b bed, n topics.Names, orderID string) {
	t.Helper()
	props := filepath.Join(t.TempDir(), "projector.properties")
	require.NoError(t, os.WriteFile(props, []byte(strings.Join([]string{
		"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="projector" password="projector-secret";`,
		"ssl.truststore.type=PEM", "ssl.truststore.location=" + b.file("ca.pem"), ""}, "\n")), 0o600))
	java := func(stdin string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "java", append([]string{"-Xmx256m", "-cp", testenv.KafkaClasspath(t)}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := java("", "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", b.brokers,
		"--command-config", props, "--group", b.prefix+"projector-console", "--topic", n.Events, "--from-beginning",
		"--formatter-property", "print.key=true", "--timeout-ms", "45000")
	require.Contains(t, out, orderID, "ConsoleConsumer as projector (%v)", err)
	out, err = java(orderID+"\n", "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", b.brokers,
		"--command-config", props, "--producer-property", "enable.idempotence=false", "--topic", n.Commands)
	require.Contains(t, out, "TopicAuthorizationException", "ConsoleProducer as projector to %s should be refused (%v)", n.Commands, err)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
