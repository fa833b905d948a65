package opsdoc_test

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/simulators"
)

// metric is what the docs table says of one metric.
type metric struct {
	typ    string   // counter, gauge, histogram; "" when the test cannot tell (an unused vec)
	labels []string // sorted, variable and constant
}

// orderdOnly are the metrics cmd/orderd registers itself (package main, not
// importable): readyGauges in cmd/orderd/server.go. Keep in step by hand.
var orderdOnly = map[string]metric{
	"orderlog_orderd_role_ready": {typ: "gauge", labels: []string{"role"}},
}

// recorder is a Registerer that keeps what each collector describes and,
// where it already has series, their type.
type recorder struct{ got map[string]metric }

var (
	descName   = regexp.MustCompile(`fqName: "([^"]*)"`)
	descConst  = regexp.MustCompile(`constLabels: \{([^}]*)\}`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

func (r *recorder) Register(c prometheus.Collector) error {
	descs := make(chan *prometheus.Desc)
	go func() { c.Describe(descs); close(descs) }()
	for d := range descs {
		s := d.String()
		name := descName.FindStringSubmatch(s)[1]
		var labels []string
		for l := range strings.SplitSeq(descLabels.FindStringSubmatch(s)[1], ",") {
			if l != "" {
				labels = append(labels, l)
			}
		}
		for pair := range strings.SplitSeq(descConst.FindStringSubmatch(s)[1], ",") {
			if k, _, ok := strings.Cut(pair, "="); ok {
				labels = append(labels, k)
			}
		}
		slices.Sort(labels)
		r.got[name] = metric{labels: labels}
	}
	ms := make(chan prometheus.Metric)
	go func() { c.Collect(ms); close(ms) }()
	for m := range ms {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			panic(err)
		}
		name := descName.FindStringSubmatch(m.Desc().String())[1]
		e := r.got[name]
		switch {
		case pb.Counter != nil:
			e.typ = "counter"
		case pb.Gauge != nil:
			e.typ = "gauge"
		case pb.Histogram != nil:
			e.typ = "histogram"
		}
		r.got[name] = e
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }

// registered is every orderlog_* metric orderd exports.
func registered() map[string]metric {
	r := &recorder{got: map[string]metric{}}
	processor.NewMetrics(r)
	projections.NewMetrics(r)
	saga.NewMetrics(r)
	simulators.NewMetrics(r)
	maps.Copy(r.got, orderdOnly)
	return r.got
}

func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// documented parses the metrics table of docs/operations.md: rows
// | `name` | type | `label`, `label` | meaning |.
func documented(t *testing.T) map[string]metric {
	t.Helper()
	row := regexp.MustCompile("^\\| `(orderlog_[a-z_]+)` \\| ([a-z]+) \\| ([^|]*)\\|")
	label := regexp.MustCompile("`([a-z_]+)`")
	doc := map[string]metric{}
	for line := range strings.SplitSeq(string(repoFile(t, "docs/operations.md")), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, dup := doc[m[1]]; dup {
			t.Errorf("docs/operations.md lists %s twice", m[1])
		}
		var labels []string
		for _, l := range label.FindAllStringSubmatch(m[3], -1) {
			labels = append(labels, l[1])
		}
		slices.Sort(labels)
		doc[m[1]] = metric{typ: m[2], labels: labels}
	}
	return doc
}

func TestMetricsTableMatchesCollectors(t *testing.T) {
	reg, doc := registered(), documented(t)
	if len(reg) < 29 {
		t.Fatalf("found only %d registered metrics: %v", len(reg), slices.Sorted(maps.Keys(reg)))
	}
	for _, name := range slices.Sorted(maps.Keys(reg)) {
		want := reg[name]
		got, ok := doc[name]
		if !ok {
			t.Errorf("%s is registered but not in the metrics table of docs/operations.md", name)
			continue
		}
		if want.typ != "" && got.typ != want.typ {
			t.Errorf("%s: the docs say %s, it is a %s", name, got.typ, want.typ)
		}
		if !slices.Equal(got.labels, want.labels) {
			t.Errorf("%s: the docs say labels %v, it has %v", name, got.labels, want.labels)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc)) {
		if _, ok := reg[name]; !ok {
			t.Errorf("docs/operations.md lists %s, which nothing registers", name)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(repoFile(t, "deploy/grafana-dashboard.json"), &d); err != nil {
		t.Fatalf("deploy/grafana-dashboard.json: %v", err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard has no title or no panels")
	}
	reg := registered()
	name := regexp.MustCompile(`orderlog_[a-z_]+`)
	used := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				base := n
				if reg[n].typ != "histogram" {
					for _, suf := range []string{"_bucket", "_sum", "_count"} {
						if b, ok := strings.CutSuffix(n, suf); ok && reg[b].typ == "histogram" {
							base = b
						}
					}
				}
				if _, ok := reg[base]; !ok {
					t.Errorf("panel %q queries %s, which orderd does not export", p.Title, n)
				}
				used[base] = true
			}
		}
	}
	// The panels the operations doc promises.
	for _, n := range []string{
		"orderlog_processor_commands_total", "orderlog_processor_transaction_duration_seconds",
		"orderlog_processor_consumer_lag_records", "orderlog_processor_restore_duration_seconds",
		"orderlog_processor_dlq_total", "orderlog_projector_events_total",
		"orderlog_projector_lag_seconds", "orderlog_projector_gaps_total",
	} {
		if !used[n] {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
}

// TestSettingsTable checks that every ORDERLOG_* variable of `orderd --help`
// has a row in docs/operations.md's settings table, and no other.
func TestSettingsTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds orderd")
	}
	_, here, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "run", "./cmd/orderd", "--help")
	cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..")
	out, _ := cmd.CombinedOutput() // --help exits non-zero on some flag packages; the text is what counts
	v := regexp.MustCompile(`ORDERLOG_[A-Z_]+`)
	help := map[string]bool{}
	for _, n := range v.FindAllString(string(out), -1) {
		help[n] = true
	}
	if len(help) < 20 {
		t.Fatalf("orderd --help named only %d variables:\n%s", len(help), out)
	}
	row := regexp.MustCompile("^\\| `--[a-z-]+` \\| `(ORDERLOG_[A-Z_]+)` \\|")
	doc := map[string]bool{}
	for line := range strings.SplitSeq(string(repoFile(t, "docs/operations.md")), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			doc[m[1]] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(help)) {
		if !doc[n] {
			t.Errorf("orderd --help has %s; the settings table of docs/operations.md does not", n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(doc)) {
		if !help[n] {
			t.Errorf("docs/operations.md lists %s; orderd --help does not", n)
		}
	}
}
