package main

// Dev mode (`make run`, `orderd --dev`): one process with an embedded Kafka
// (franz-go's kfake) and an embedded Redis (miniredis), the roles processor,
// projector and api, a little demo traffic, and a banner on stdout saying
// where to look. Both stores live in memory: nothing is kept on exit.
//
// --dev starts its own Kafka and Redis, so an explicit --kafka-brokers or
// --redis-addr (flag or variable) is a configuration error rather than
// silently ignored.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// devConflicts are the settings --dev provides itself.
var devConflicts = []string{"kafka-brokers", "redis-addr", "redis-mode", "redis-master-name"}

// explicitSettings names the settings given by a flag or their variable.
func explicitSettings(fs *flag.FlagSet, lookup func(string) (string, bool)) map[string]bool {
	set := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := lookup(envName(f.Name)); ok {
			set[f.Name] = true
		}
	})
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// devDefaults fills what dev mode decides unless told otherwise: every
// role, a fresh JWT key, text logs.
func (c *Config) devDefaults(set map[string]bool) error {
	var errs []error
	for _, name := range devConflicts {
		if set[name] {
			errs = append(errs, fmt.Errorf("%s: conflicts with --dev, which starts its own embedded Kafka and Redis; drop one of them", settingName(name)))
		}
	}
	if !set["roles"] {
		c.Roles = []string{"processor", "projector", "api", "saga", "simulators"}
	}
	if c.JWTKey == "" {
		var b [32]byte
		_, _ = rand.Read(b[:])
		c.JWTKey = hex.EncodeToString(b[:])
	}
	if !set["log-format"] {
		c.LogFormat = "text"
	}
	return errors.Join(errs...)
}

// devEnv is the embedded Kafka and Redis of dev mode.
type devEnv struct {
	kafka  *kfake.Cluster
	redis  *miniredis.Miniredis
	stdout io.Writer
}

// startDev starts kfake and miniredis and points cfg at them.
func startDev(cfg *Config, stdout io.Writer) (*devEnv, error) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return nil, fmt.Errorf("dev mode: embedded Kafka: %w", err)
	}
	mr, err := miniredis.Run()
	if err != nil {
		kc.Close()
		return nil, fmt.Errorf("dev mode: embedded Redis: %w", err)
	}
	d := &devEnv{kafka: kc, redis: mr, stdout: stdout}
	cfg.Brokers = kc.ListenAddrs()
	cfg.Redis.Addr = mr.Addr()
	cfg.dev = d
	return d, nil
}

// Close stops Redis and Kafka; their data is gone.
func (d *devEnv) Close() {
	d.redis.Close()
	d.kafka.Close()
}

// devRole waits for the other roles, sends the demo traffic, prints the
// banner and is then ready; it does nothing more until ctx ends.
type devRole struct {
	env    *devEnv
	d      deps
	others []namedRole
	ready  atomic.Bool
}

func (r *devRole) Ready() bool { return r.ready.Load() }

func (r *devRole) Run(ctx context.Context) error {
	for !r.othersReady() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	demo, err := r.sendDemo(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		r.d.log.Warn("dev mode: demo traffic failed", "error", err)
	}
	if err := r.banner(demo); err != nil {
		return err
	}
	r.ready.Store(true)
	<-ctx.Done()
	return nil
}

func (r *devRole) othersReady() bool {
	for _, o := range r.others {
		if !o.Ready() {
			return false
		}
	}
	return true
}

// demoOrders are the demo traffic, as commands on order.commands. With the
// saga running, three orders are placed and the saga (with the simulated
// payment, inventory and carrier) takes them to DELIVERED; without it, two
// are driven to DELIVERED by commands and one stays PLACED. A fourth is
// cancelled as a draft.
func demoOrders(withSaga bool) [][]order.Command {
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	cmds := func(id, customer string, datas ...order.CommandData) []order.Command {
		out := make([]order.Command, len(datas))
		for i, d := range datas {
			out[i] = order.Command{ID: fmt.Sprintf("%s-c%d", id, i+1), Type: d.CommandType(), OrderID: id,
				CorrelationID: id, UserID: "dev-demo", Data: d}
		}
		return out
	}
	create := func(customer string) order.CommandData {
		return order.CreateOrder{CustomerID: customer, Currency: "USD", SourceChannel: "dev-demo",
			Items: []order.LineItem{{ProductID: "sku-1", Name: "Widget", Quantity: 2, UnitPrice: 1999}, {ProductID: "sku-2", Name: "Gadget", Quantity: 1, UnitPrice: 4500}}}
	}
	ship := order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane Smith", Address: addr, Method: "EXPRESS"}}
	delivered := func(id, customer string) []order.Command {
		return cmds(id, customer,
			create(customer), ship, order.PlaceOrder{},
			order.InitiatePayment{PaymentID: "pay-" + id, PaymentMethod: "CREDIT_CARD"},
			order.AuthorizePayment{PaymentID: "pay-" + id, Amount: 1_000_000, ProcessorReference: "ch_" + id},
			order.ReserveInventory{ReservationID: "res-" + id, Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2, WarehouseID: "w1"}, {ProductID: "sku-2", Quantity: 1, WarehouseID: "w1"}}},
			order.CapturePayment{PaymentID: "pay-" + id, ProcessorReference: "ch_" + id, Last4: "4242", CardBrand: "visa"},
			order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z" + id},
			order.DeliverOrder{ReceivedBy: "Jane"})
	}
	bill := order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: "Jane Smith", Email: "jane@example.com", Address: addr}}
	if withSaga {
		placed := func(id, customer string) []order.Command {
			return cmds(id, customer, create(customer), ship, bill, order.PlaceOrder{})
		}
		return [][]order.Command{placed("demo-1", "alice"), placed("demo-2", "bob"), placed("demo-3", "alice"),
			cmds("demo-4", "bob", create("bob"), order.CancelOrder{Reason: "changed my mind"})}
	}
	return [][]order.Command{
		delivered("demo-1", "alice"),
		delivered("demo-2", "bob"),
		cmds("demo-3", "alice", create("alice"), ship, order.PlaceOrder{}),
		cmds("demo-4", "bob", create("bob"), order.CancelOrder{Reason: "changed my mind"}),
	}
}

// sendDemo produces the demo commands, each order's in sequence on its
// partition, and returns the order ids.
func (r *devRole) sendDemo(ctx context.Context) ([]string, error) {
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), r.d.kafkaOpts...),
		kgo.SeedBrokers(r.d.cfg.Brokers...), kgo.DefaultProduceTopic(r.d.topics.Names().Commands))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var recs []*kgo.Record
	var ids []string
	for _, cmds := range demoOrders(slices.Contains(r.d.cfg.Roles, "saga")) {
		ids = append(ids, cmds[0].OrderID)
		for _, c := range cmds {
			v, err := schemas.CommandJSON(c)
			if err != nil {
				return nil, err
			}
			recs = append(recs, &kgo.Record{Key: []byte(c.OrderID), Value: v})
		}
	}
	return ids, cl.ProduceSync(ctx, recs...).FirstErr()
}

func (r *devRole) banner(demo []string) error {
	cfg := r.d.cfg
	tok, err := api.Token([]byte(cfg.JWTKey), "dev-admin", api.RoleAdmin)
	if err != nil {
		return fmt.Errorf("dev mode: admin token: %w", err)
	}
	apiURL := "http://" + cfg.APIAddr + "/api/v1"
	var b strings.Builder
	fmt.Fprintf(&b, "\norderd dev mode is ready: Kafka (kfake) and Redis (miniredis) are embedded, in memory.\n\n")
	outlook := demoOutlookOf(slices.Contains(cfg.Roles, "saga"), cfg.Sim)
	if slices.Contains(cfg.Roles, "api") {
		fmt.Fprintf(&b, "  API       %s   (OpenAPI: %s/openapi.json)\n", apiURL, apiURL)
		fmt.Fprintf(&b, "  try       curl -H \"Authorization: Bearer %s\" '%s/orders%s'\n", tok, apiURL, outlook.query())
		fmt.Fprintf(&b, "            (an admin token; the JWT key of this run is %s)\n", cfg.JWTKey)
		fmt.Fprintf(&b, "  dashboard http://%s/dashboard#token=%s\n", cfg.APIAddr, tok)
	} else {
		fmt.Fprintf(&b, "  API       not running (--roles %s)\n", strings.Join(cfg.Roles, ","))
	}
	fmt.Fprintf(&b, "  metrics   http://%s/metrics\n", cfg.HTTPAddr)
	fmt.Fprintf(&b, "  ready     http://%s/readyz\n", cfg.HTTPAddr)
	fmt.Fprintf(&b, "  events    kcat -C -b %s -t %s   (Avro single-object values)\n", strings.Join(cfg.Brokers, ","), r.d.topics.Names().Events)
	fmt.Fprintf(&b, "  Redis     redis-cli -p %s   (read models under %q)\n", portOf(r.env.redis.Addr()), cfg.Redis.Prefix)
	fmt.Fprintf(&b, "  orderctl  export ORDERLOG_KAFKA_BROKERS=%s ORDERLOG_REDIS_ADDR=%s\n", strings.Join(cfg.Brokers, ","), r.env.redis.Addr())
	fmt.Fprintf(&b, "            go run ./cmd/orderctl order list %s    (then: order history demo-1, lag, dlq list)\n", outlook.listArgs())
	fmt.Fprintf(&b, "  demo      orders %s: %s\n", strings.Join(demo, ", "), outlook.text)
	fmt.Fprintf(&b, "\nCtrl-C stops everything. Nothing is kept on exit: Kafka and Redis vanish with the process.\n\n")
	_, err = io.WriteString(r.env.stdout, b.String())
	return err
}

// demoOutlook is what the banner may promise of the demo orders: with the
// saga, where the simulated outside systems, as configured, take them.
type demoOutlook struct {
	text   string
	status string // the status the demo's placed orders reach; "" when it depends on chance
}

func (o demoOutlook) query() string {
	if o.status == "" {
		return ""
	}
	return "?status=" + o.status
}

func (o demoOutlook) listArgs() string {
	if o.status == "" {
		return "--customer alice"
	}
	return "--status " + o.status
}

// demoOutlookOf says where the demo orders end, from the simulators'
// settings: it promises DELIVERED only when nothing is set to fail.
func demoOutlookOf(withSaga bool, sc SimConfig) demoOutlook {
	if !withSaga {
		return demoOutlook{text: "demo-1, demo-2 DELIVERED, demo-3 PLACED, demo-4 CANCELLED", status: "DELIVERED"}
	}
	const placed = "demo-1..3 placed, the saga takes them through payment, stock and shipping "
	const cancelled = "; demo-4 CANCELLED"
	switch {
	case sc.PaymentDeclineRate >= 1:
		return demoOutlook{text: placed + "(simulated): every payment is declined (--sim-payment-decline-rate=1), so the saga " +
			"tries again, then CANCELS them" + cancelled, status: "CANCELLED"}
	case sc.UnavailableRate >= 1 || sc.DropRate >= 1:
		return demoOutlook{text: placed + "(simulated): the outside systems never answer (--sim-unavailable-rate or --sim-drop-rate=1), " +
			"so the saga retries, gives up and CANCELS them" + cancelled, status: "CANCELLED"}
	case sc.ShippingFailureRate >= 1:
		return demoOutlook{text: placed + "(simulated): they are paid, the carrier refuses every shipment (--sim-shipping-failure-rate=1), " +
			"and they stay CONFIRMED, flagged SHIPMENT_FAILED for a person" + cancelled, status: "CONFIRMED"}
	case sc.Stock == 0:
		return demoOutlook{text: placed + "(simulated): nothing is in stock (--sim-stock=0), so they are paid and wait CONFIRMED, " +
			"backordered" + cancelled, status: "CONFIRMED"}
	case sc.PaymentDeclineRate > 0 || sc.UnavailableRate > 0 || sc.DropRate > 0 || sc.ShippingFailureRate > 0 || sc.Stock < 6:
		return demoOutlook{text: placed + "(simulated) in a few seconds: DELIVERED unless a simulated system declines, refuses, stays silent " +
			"or runs short (--sim-* settings), then CANCELLED, flagged or backordered" + cancelled}
	}
	return demoOutlook{text: placed + "to DELIVERED in a few seconds (simulated outside systems)" + cancelled, status: "DELIVERED"}
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
