package failover

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The targets (docs/operations.md, "Failover").
const (
	killMax, killP99 = 5 * time.Second, 3 * time.Second
	gracefulMax      = time.Second
)

const failoverHeading = "## Failover"

// report logs the windows and, in bench mode, appends them with the
// targets to $ORDERLOG_FAILOVER_REPORT (markdown).
func report(t *testing.T, name string, ws []window) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s\n\n| window | commands | p50 | p99 | max | waits > 1 s until | target | met |\n|---|---|---|---|---|---|---|---|\n", name)
	for i, w := range ws {
		t.Log(w)
		target, met := "", ""
		if i == 1 { // the fault itself
			switch name {
			case "kill -9":
				target = fmt.Sprintf("max ≤ %s, p99 ≤ %s", killMax, killP99)
				met = yes(w.max <= killMax && w.p99 <= killP99)
			default:
				target = fmt.Sprintf("max ≤ %s", gracefulMax)
				met = yes(w.max <= gracefulMax)
			}
		}
		if name == "rolling restart" && i > 0 {
			target = fmt.Sprintf("max ≤ %s", gracefulMax)
			met = yes(w.max <= gracefulMax)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", w.name, w.n, ms(w.p50), ms(w.p99), ms(w.max), ms(w.raised), target, met)
	}
	fmt.Print(b.String())
	table := b.String()
	path := os.Getenv("ORDERLOG_FAILOVER_REPORT")
	if !benchMode() || path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("report: %v", err)
		return
	}
	defer f.Close()
	if have, _ := os.ReadFile(path); !strings.Contains(string(have), failoverHeading) {
		b.Reset()
		fmt.Fprintf(&b, "\n%s\n\nPackage e2e/failover, run by `make bench` (ORDERLOG_FAILOVER_BENCH=1): orderd processors on one broker, "+
			"5,000 commands/s, each command timed from its send to its result (read_committed). A window runs from 2 s before its "+
			"event to 2 s before the next; \"waits > 1 s until\" is how long after the event commands still waited over a second. "+
			"What each part costs: docs/operations.md, Failover.\n", failoverHeading)
		b.WriteString(table)
	} else {
		b.Reset()
		b.WriteString(table)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Errorf("report: %v", err)
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
