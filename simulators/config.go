package simulators

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// Latency is how long a simulated system takes to answer: a duration drawn
// uniformly from [Min, Max].
type Latency struct {
	Min, Max time.Duration
}

// Behavior is how one simulated system answers. The rates are probabilities
// in [0, 1], drawn one after the other for each request: first DropRate
// (the request is never answered), then UnavailableRate (answered
// UNAVAILABLE, which the saga may retry), then FailureRate (a final FAILED
// refusal, for the actions that can be refused). 0 never happens, 1 always.
type Behavior struct {
	Latency         Latency
	FailureRate     float64
	UnavailableRate float64
	DropRate        float64
}

// InventoryConfig is the simulated inventory service.
type InventoryConfig struct {
	Behavior
	// Warehouses in the order RESERVE takes stock from them; the first one
	// also receives restocked items that name no warehouse.
	Warehouses []string
	// Stock is the units on hand per warehouse and product at start.
	Stock map[string]map[string]int64
	// DefaultStock is the units on hand, in every warehouse, of a product
	// Stock does not list there (0: none).
	DefaultStock int64
}

// ShippingConfig is the simulated carrier.
type ShippingConfig struct {
	Behavior
	// DeliveryDelay is the time between the SHIPPED and the DELIVERED result
	// of one shipment; negative: never delivered (the parcel is lost).
	DeliveryDelay time.Duration
	// Carriers to choose from for each shipment (default "SimPost").
	Carriers []string
}

// NotificationConfig is the simulated customer service.
type NotificationConfig struct {
	// Keep is how many received notifications Notifications returns, the
	// newest ones (default 1000).
	Keep int
}

// Config is what the simulators need. Brokers, Group, the integration topics
// and the inventory's Warehouses are required; DefaultConfig fills the rest.
type Config struct {
	Brokers []string
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	Topics     topics.Names
	// Group is the consumer group that reads the four requests topics.
	Group string
	// SerdeOptions gives the schemas options of the serde for a topic, as
	// for processor.NewSerdes (a registry: schemas.WithRegistry(cl,
	// topic+"-value")); nil for Avro single-object encoding.
	SerdeOptions func(topic string) []schemas.Option
	Logger       *slog.Logger
	Metrics      *Metrics
	// Seed makes the random draws (outcomes, latencies, tracking numbers)
	// reproducible: each request's draws depend on Seed and its requestId
	// only, not on the order requests arrive in.
	Seed int64
	// Now stamps the results' At (default time.Now).
	Now func() time.Time
	// Remember is how many requestIds per system are remembered to answer
	// repeats with their first answer (default 100000).
	Remember int

	Payment      Behavior
	Inventory    InventoryConfig
	Shipping     ShippingConfig
	Notification NotificationConfig
}

// The warehouses of DefaultConfig, and the defaults New fills in.
const (
	DefaultWarehouse1 = "wh-east"
	DefaultWarehouse2 = "wh-west"
	defaultRemember   = 100_000
	defaultKeep       = 1000
	defaultCarrier    = "SimPost"
)

// DefaultConfig is a quick, well-behaved world for dev mode: answers in
// 50-300 ms, nothing fails, two warehouses with 1000 units of anything,
// parcels delivered 2 s after they ship. Brokers, Topics and Group are left
// to the caller.
func DefaultConfig() Config {
	fast := Behavior{Latency: Latency{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond}}
	return Config{
		Group:    "orderlog-simulators",
		Remember: defaultRemember,
		Payment:  fast,
		Inventory: InventoryConfig{
			Behavior:     fast,
			Warehouses:   []string{DefaultWarehouse1, DefaultWarehouse2},
			DefaultStock: 1000,
		},
		Shipping: ShippingConfig{
			Behavior:      fast,
			DeliveryDelay: 2 * time.Second,
			Carriers:      []string{defaultCarrier, "ParcelJet"},
		},
		Notification: NotificationConfig{Keep: defaultKeep},
	}
}

// validate checks the Kafka side and fills defaults; validateWorld checks
// the simulated systems.
func (c *Config) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("simulators: Brokers is empty"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("simulators: Group is empty"))
	}
	t := c.Topics
	for _, f := range []struct{ name, v string }{
		{"PaymentRequests", t.PaymentRequests}, {"PaymentResults", t.PaymentResults},
		{"InventoryRequests", t.InventoryRequests}, {"InventoryResults", t.InventoryResults},
		{"ShippingRequests", t.ShippingRequests}, {"ShippingResults", t.ShippingResults},
		{"NotificationRequests", t.NotificationRequests},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("simulators: Topics.%s is empty", f.name))
		}
	}
	errs = append(errs, c.validateWorld())
	return errors.Join(errs...)
}

func (c *Config) validateWorld() error {
	var errs []error
	errs = append(errs, c.Payment.validate("Payment"), c.Inventory.Behavior.validate("Inventory"),
		c.Shipping.Behavior.validate("Shipping"))
	inv := c.Inventory
	if len(inv.Warehouses) == 0 {
		errs = append(errs, errors.New("simulators: Inventory.Warehouses is empty"))
	}
	for i, w := range inv.Warehouses {
		if w == "" {
			errs = append(errs, fmt.Errorf("simulators: Inventory.Warehouses[%d] is empty", i))
		} else if slices.Index(inv.Warehouses, w) != i {
			errs = append(errs, fmt.Errorf("simulators: Inventory.Warehouses lists %q twice", w))
		}
	}
	for w, products := range inv.Stock {
		if !slices.Contains(inv.Warehouses, w) {
			errs = append(errs, fmt.Errorf("simulators: Inventory.Stock names warehouse %q, which is not in Inventory.Warehouses", w))
		}
		for p, n := range products {
			if n < 0 {
				errs = append(errs, fmt.Errorf("simulators: Inventory.Stock[%q][%q] is %d; it must not be negative", w, p, n))
			}
		}
	}
	if inv.DefaultStock < 0 {
		errs = append(errs, fmt.Errorf("simulators: Inventory.DefaultStock is %d; it must not be negative", inv.DefaultStock))
	}
	if slices.Contains(c.Shipping.Carriers, "") {
		errs = append(errs, errors.New("simulators: Shipping.Carriers has an empty name"))
	}
	if c.Remember < 0 {
		errs = append(errs, fmt.Errorf("simulators: Remember is %d; it must not be negative", c.Remember))
	}
	if c.Notification.Keep < 0 {
		errs = append(errs, fmt.Errorf("simulators: Notification.Keep is %d; it must not be negative", c.Notification.Keep))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(c.Shipping.Carriers) == 0 {
		c.Shipping.Carriers = []string{defaultCarrier}
	}
	if c.Remember == 0 {
		c.Remember = defaultRemember
	}
	if c.Notification.Keep == 0 {
		c.Notification.Keep = defaultKeep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return nil
}

func (b Behavior) validate(system string) error {
	var errs []error
	for _, f := range []struct {
		name string
		r    float64
	}{{"FailureRate", b.FailureRate}, {"UnavailableRate", b.UnavailableRate}, {"DropRate", b.DropRate}} {
		if !(f.r >= 0 && f.r <= 1) { // also catches NaN
			errs = append(errs, fmt.Errorf("simulators: %s.%s is %v; it must be between 0 and 1", system, f.name, f.r))
		}
	}
	if b.Latency.Min < 0 || b.Latency.Max < b.Latency.Min {
		errs = append(errs, fmt.Errorf("simulators: %s.Latency is %v..%v; it must be 0 <= Min <= Max", system, b.Latency.Min, b.Latency.Max))
	}
	return errors.Join(errs...)
}
