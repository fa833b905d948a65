package order_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/orderlog/orderlog/order"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/domain.md")

const (
	docPath   = "../docs/domain.md"
	beginMark = "<!-- BEGIN GENERATED from order.Transitions: go test ./order -run TestDomainDocIsCurrent -update -->"
	endMark   = "<!-- END GENERATED -->"
)

// generated renders the transition table as a Mermaid diagram and a table.
func generated() string {
	var b strings.Builder
	b.WriteString("```mermaid\n" + order.Mermaid() + "```\n\n")
	b.WriteString("| command | allowed while | moves to |\n|---|---|---|\n")
	for _, t := range order.Transitions {
		from := make([]string, len(t.From))
		for i, f := range t.From {
			from[i] = string(f)
			if f == order.StatusNone {
				from[i] = "(new order)"
			}
		}
		to := "(stays)"
		if t.To != order.StatusNone {
			to = string(t.To)
		}
		if t.Partial {
			to += ", or stays (partial)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", t.Command, strings.Join(from, ", "), to)
	}
	b.WriteString("\n| status | id | meaning |\n|---|---|---|\n")
	for _, s := range order.Statuses {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", s, s.ID(), s.Description())
	}
	return b.String()
}

func TestDomainDocIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read %s: %v", docPath, err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-section markers", docPath)
	}
	want := doc[:i+len(beginMark)] + "\n" + generated() + doc[j:]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with order.Transitions; run: go test ./order -run TestDomainDocIsCurrent -update", docPath)
}

func TestEveryCommandHasOneTransitionRow(t *testing.T) {
	seen := map[order.CommandType]int{}
	for _, tr := range order.Transitions {
		seen[tr.Command]++
	}
	for _, c := range order.CommandTypes() {
		if seen[c] != 1 {
			t.Errorf("command %s has %d rows in the transition table, want 1", c, seen[c])
		}
	}
	if len(seen) != len(order.CommandTypes()) {
		t.Errorf("table has %d commands, registry %d", len(seen), len(order.CommandTypes()))
	}
}

func TestEverySeedEventTypeExists(t *testing.T) {
	seed := []string{"ORDER_CREATED", "ORDER_ITEMS_ADDED", "ORDER_ITEMS_REMOVED", "ORDER_ITEMS_UPDATED",
		"ORDER_STATUS_CHANGED", "PAYMENT_INITIATED", "PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED", "PAYMENT_FAILED",
		"PAYMENT_REFUNDED", "SHIPPING_DETAILS_UPDATED", "SHIPPING_ADDRESS_CHANGED", "BILLING_DETAILS_UPDATED",
		"TRACKING_INFORMATION_ADDED", "INVENTORY_RESERVED", "INVENTORY_RELEASED", "ORDER_CANCELLATION_REQUESTED",
		"ORDER_CANCELLED", "REFUND_REQUESTED", "CUSTOMER_NOTE_ADDED", "ADMIN_NOTE_ADDED", "DISCOUNT_APPLIED",
		"TAX_CALCULATED", "ORDER_FLAGGED", "NOTIFICATION_SENT"}
	have := map[order.EventType]bool{}
	for _, e := range order.EventTypes() {
		have[e] = true
	}
	for _, s := range seed {
		if !have[order.EventType(s)] {
			t.Errorf("seed event type %s is missing", s)
		}
	}
}
