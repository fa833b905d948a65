package topics

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewNamesPutsThePrefixInFront(t *testing.T) {
	tests := []struct {
		prefix string
		want   Names
	}{
		{"", Names{
			Commands: "order.commands",
			Events:   "order.events",
			State:    "order.state",
			Results:  "order.command-results",
			DLQ:      "order.commands.dlq",

			SagaState:            "order.saga-state",
			PaymentRequests:      "payment.requests",
			PaymentResults:       "payment.results",
			InventoryRequests:    "inventory.requests",
			InventoryResults:     "inventory.results",
			ShippingRequests:     "shipping.requests",
			ShippingResults:      "shipping.results",
			NotificationRequests: "notification.requests",
		}},
		{"staging.", Names{
			Commands: "staging.order.commands",
			Events:   "staging.order.events",
			State:    "staging.order.state",
			Results:  "staging.order.command-results",
			DLQ:      "staging.order.commands.dlq",

			SagaState:            "staging.order.saga-state",
			PaymentRequests:      "staging.payment.requests",
			PaymentResults:       "staging.payment.results",
			InventoryRequests:    "staging.inventory.requests",
			InventoryResults:     "staging.inventory.results",
			ShippingRequests:     "staging.shipping.requests",
			ShippingResults:      "staging.shipping.results",
			NotificationRequests: "staging.notification.requests",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			if got := NewNames(tt.prefix); got != tt.want {
				t.Errorf("NewNames(%q) = %+v, want %+v", tt.prefix, got, tt.want)
			}
		})
	}
}

func TestEveryCatalogEntryHasItsOwnNamesField(t *testing.T) {
	n := NewNames("p.")
	v := reflect.ValueOf(n)
	seen := map[string]bool{}
	for i := range v.NumField() {
		name := v.Field(i).String()
		if name == "" {
			t.Errorf("Names.%s is not set by any catalog entry", v.Type().Field(i).Name)
		}
		if seen[name] {
			t.Errorf("two Names fields hold %q", name)
		}
		seen[name] = true
	}
	if len(seen) != len(catalog) {
		t.Errorf("Names has %d distinct names, catalog %d entries", len(seen), len(catalog))
	}
}

func TestNewValidatesTheConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
	}{
		{"default", DefaultConfig(), ""},
		{"prefixed", Config{Prefix: "staging.", Partitions: 12, ReplicationFactor: 3}, ""},
		{"broker default replication", Config{Partitions: 1, ReplicationFactor: -1}, ""},
		{"no partitions", Config{Partitions: 0, ReplicationFactor: 1}, "partitions is 0"},
		{"negative partitions", Config{Partitions: -3, ReplicationFactor: 1}, "partitions is -3"},
		{"zero replication", Config{Partitions: 1, ReplicationFactor: 0}, "replication factor is 0"},
		{"slash in prefix", Config{Prefix: "a/b.", Partitions: 1, ReplicationFactor: 1}, `has '/' at byte 1`},
		{"space in prefix", Config{Prefix: "my env.", Partitions: 1, ReplicationFactor: 1}, `has ' ' at byte 2`},
		{"prefix too long", Config{Prefix: strings.Repeat("x", 230), Partitions: 1, ReplicationFactor: 1}, "too long"},
		{"production replication", Config{Partitions: 6, ReplicationFactor: 3, MinInsyncReplicas: 2}, ""},
		{"negative min ISR", Config{Partitions: 1, ReplicationFactor: 3, MinInsyncReplicas: -1}, "min.insync.replicas is -1"},
		{"min ISR above replication", Config{Partitions: 1, ReplicationFactor: 2, MinInsyncReplicas: 3}, "exceeds the replication factor 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New(%+v) = %v, want no error", tt.cfg, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("New(%+v) succeeded, want an error with %q", tt.cfg, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("New(%+v) = %q, want it to mention %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestSpecsDeclareTheContract(t *testing.T) {
	s, err := New(Config{Prefix: "x.", Partitions: 8, ReplicationFactor: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"x.order.commands":        {"cleanup.policy": "delete", "retention.ms": "604800000"},
		"x.order.events":          {"cleanup.policy": "delete", "retention.ms": "-1"},
		"x.order.state":           {"cleanup.policy": "compact"},
		"x.order.command-results": {"cleanup.policy": "delete", "retention.ms": "86400000"},
		"x.order.commands.dlq":    {"cleanup.policy": "delete", "retention.ms": "2592000000"},
		"x.order.saga-state":      {"cleanup.policy": "compact"},
	}
	for _, base := range []string{"payment.requests", "payment.results", "inventory.requests", "inventory.results",
		"shipping.requests", "shipping.results", "notification.requests"} {
		want["x."+base] = map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000"}
	}
	specs := s.Specs()
	if len(specs) != len(want) {
		t.Fatalf("got %d specs, want %d", len(specs), len(want))
	}
	for _, sp := range specs {
		if !reflect.DeepEqual(sp.Configs, want[sp.Name]) {
			t.Errorf("%s configs = %v, want %v", sp.Name, sp.Configs, want[sp.Name])
		}
		if !sp.CoPartitioned || sp.Partitions != 8 || sp.ReplicationFactor != 3 {
			t.Errorf("%s = %+v, want co-partitioned with 8 partitions and 3 replicas", sp.Name, sp)
		}
	}
}

func TestMinInsyncReplicasIsEveryTopicsConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		min  int16
		want string // "" for no such config
	}{{"broker default", 0, ""}, {"two", 2, "2"}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Partitions: 3, ReplicationFactor: 3, MinInsyncReplicas: tc.min})
			if err != nil {
				t.Fatal(err)
			}
			for _, sp := range s.Specs() {
				got, ok := sp.Configs[ConfigMinInsyncReplicas]
				if tc.want == "" && ok || tc.want != "" && got != tc.want {
					t.Errorf("%s: %s = %q (set %v), want %q", sp.Name, ConfigMinInsyncReplicas, got, ok, tc.want)
				}
			}
		})
	}
}

func TestSpecsAreCopies(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.Specs()[0].Configs["cleanup.policy"] = "compact"
	sp, _ := s.Spec(BaseCommands)
	sp.Configs["retention.ms"] = "1"
	again, ok := s.Spec(BaseCommands)
	if !ok {
		t.Fatalf("Spec(%q) not found", BaseCommands)
	}
	if again.Configs["cleanup.policy"] != "delete" || again.Configs["retention.ms"] != "604800000" {
		t.Errorf("changing a returned spec changed the set: %v", again.Configs)
	}
}

func TestSameConfigComparesCleanupPolicyAsASet(t *testing.T) {
	tests := []struct {
		key, got, want string
		same           bool
	}{
		{"cleanup.policy", "compact", "compact", true},
		{"cleanup.policy", "delete,compact", "compact, delete", true},
		{"cleanup.policy", "delete", "compact", false},
		{"cleanup.policy", "compact,delete", "compact", false},
		{"retention.ms", "-1", "-1", true},
		{"retention.ms", "604800000", "-1", false},
	}
	for _, tt := range tests {
		if got := sameConfig(tt.key, tt.got, tt.want); got != tt.same {
			t.Errorf("sameConfig(%q, %q, %q) = %v, want %v", tt.key, tt.got, tt.want, got, tt.same)
		}
	}
}

func TestVerifyErrorSaysWhatToDo(t *testing.T) {
	e := &VerifyError{Problems: []Problem{
		{Topic: "order.state", Kind: WrongConfig, Config: "cleanup.policy", Want: "compact", Got: "delete", Fix: "alter it"},
		{Topic: "order.events", Kind: Missing, Fix: "create it"},
	}}
	want := "topics: 2 problems:\n" +
		"  order.state: cleanup.policy is \"delete\", want \"compact\"; alter it\n" +
		"  order.events: does not exist; create it"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if !e.Has("order.events", Missing) || e.Has("order.events", WrongConfig) {
		t.Errorf("Has does not match the problems")
	}
}
