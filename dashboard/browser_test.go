package dashboard_test

// The dashboard in a real browser: Debian's chromium (installed by
// scripts/testbed/deps.sh, never downloaded by a tool), driven by chromedp,
// against the real orderd binary in dev mode.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// chromiumPath is Debian's chromium; ORDERLOG_CHROMIUM overrides it.
func chromiumPath(t *testing.T) string {
	p := os.Getenv("ORDERLOG_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no chromium at %s (scripts/testbed/deps.sh installs Debian's chromium; make test runs it): %v", p, err)
	}
	return p
}

// TestDashboardShowsANewOrderInChromium starts `orderd --dev` (the binary
// make run runs), creates an order through the API, and checks in Chromium
// that the page shows it, that its per-status counts, revenue and events
// per minute equal what dev mode's Redis holds, that the chart has bars and
// that the order's history link works; it saves a screenshot and stops
// orderd with SIGTERM.
func TestDashboardShowsANewOrderInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	started := time.Now()
	o := startDevOrderd(t)
	t.Logf("orderd --dev ready after %s", time.Since(started).Round(time.Millisecond))

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + devRedisPort(t, o)})
	t.Cleanup(func() { rdb.Close() })
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb})
	require.NoError(t, err)

	// An order through the API, as a customer.
	id := o.createOrder(t, "carol")
	t.Logf("created order %s", id)

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1400))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()

	page := "http://" + o.apiAddr + dashboard.Page
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(page+"#token="+o.adminToken),
		chromedp.WaitVisible(chromedp.CSS(`#recent tr[data-order-id="`+id+`"]`)),
	), "the new order appears among the recent orders")
	t.Logf("the page shows %s after %s", id, time.Since(started).Round(time.Millisecond))

	// The page's numbers against Redis. The page polls every 2 s, so a
	// difference (a minute rolling over) gets a few polls to settle.
	var shown pageNumbers
	var want redisNumbers
	deadline := time.Now().Add(10 * time.Second)
	for {
		shown, err = chromedp.Run(bctx, chromedp.Evaluate[pageNumbers](readPageJS))
		require.NoError(t, err)
		want = readRedis(t, ctx, reader)
		if shown.matches(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.Equal(t, want.statuses, shown.Statuses, "orders per status: page vs Redis")
	require.Equal(t, want.total, shown.Total, "total orders")
	require.Equal(t, want.revenue, shown.Revenue, "revenue per currency and day: page vs Redis")
	require.Equal(t, want.recent, shown.Recent, "recent orders: page vs Redis")
	require.Equal(t, want.eventsPerMinute, shown.EventsPerMinute, "the chart's bars: page vs Redis")
	require.Equal(t, int64(1), shown.Statuses[string(order.StatusDraft)], "the new order is a draft")
	require.NotEmpty(t, shown.Revenue, "dev mode's demo orders captured payments")
	require.Positive(t, shown.Bars, "the chart draws at least one bar")
	require.Positive(t, shown.BarHeight, "with a height")

	// Lag and DLQ size: what the JSON endpoint says ("n/a" when the api
	// role has no Kafka admin for them; Problems then says so).
	snap := o.snapshot(t)
	require.Equal(t, orNA(snap.ProjectionLag), shown.Lag)
	require.Equal(t, orNA(snap.DLQSize), shown.DLQ)
	require.Equal(t, snap.Problems, shown.Problems)

	// orderd's api role runs a Sampler: records, not offsets, and charts
	// that get a point every 10 s.
	require.Equal(t, "records", snap.QueueUnit)
	require.NotNil(t, snap.Charts, "the api role samples the charts")
	require.Equal(t, 10.0, snap.Charts.IntervalSeconds)
	require.NoError(t, chromedp.Do(bctx,
		chromedp.WaitVisible(chromedp.CSS(`#chart-commands:not([data-points="0"]) polyline`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-lag:not([data-points="0"]) polyline`)),
	), "the charts draw the sampler's first point")
	unit, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.queue-unit`)))
	require.NoError(t, err)
	require.Equal(t, "records", unit)

	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(artifactDir(t), "dashboard.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))

	// The order's link leads to its history.
	link := chromedp.CSS(`#recent tr[data-order-id="` + id + `"] a`)
	href, err := chromedp.Run(bctx, chromedp.AttributeValue(link, "href"))
	require.NoError(t, err)
	require.Equal(t, "/dashboard?order="+id, href.Value)
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(link), chromedp.WaitVisible(chromedp.CSS(`#events tr[data-seq]`))))
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#events tr[data-seq]").length`))
	require.NoError(t, err)
	evs, err := reader.Events(ctx, id, 1, 0)
	require.NoError(t, err)
	require.Equal(t, len(evs), rows, "the history shows every event of the order")

	o.stop(t)
	t.Logf("done in %s", time.Since(started).Round(time.Millisecond))
}

// devRedisPort is dev mode's Redis (miniredis) port, which the banner names.
func devRedisPort(t *testing.T, o *devOrderd) string {
	m := regexp.MustCompile(`redis-cli -p (\d+)`).FindStringSubmatch(o.stdout.String())
	require.NotNil(t, m, "the banner names the Redis port:\n%s", o.stdout.String())
	return m[1]
}

func orNA(n *int64) string {
	if n == nil {
		return "n/a"
	}
	return fmt.Sprint(*n)
}

// artifactDir is $ORDERLOG_ARTIFACTS if set (kept), else the test's
// artifact directory (kept with go test -artifacts).
func artifactDir(t *testing.T) string {
	if d := os.Getenv("ORDERLOG_ARTIFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.ArtifactDir()
}

// pageNumbers are what the page shows, read from its DOM by readPageJS.
type pageNumbers struct {
	Statuses        map[string]int64 `json:"statuses"`
	Total           int64            `json:"total"`
	Revenue         map[string]int64 `json:"revenue"` // "USD 2026-11-21" -> minor units
	Recent          []string         `json:"recent"`
	EventsPerMinute map[string]int64 `json:"eventsPerMinute"` // minute -> bar's total
	Bars            int              `json:"bars"`
	BarHeight       float64          `json:"barHeight"`
	Lag             string           `json:"lag"`
	DLQ             string           `json:"dlq"`
	Problems        []string         `json:"problems"`
}

const readPageJS = `(() => {
  const all = (q) => Array.from(document.querySelectorAll(q));
  const out = {statuses: {}, revenue: {}, eventsPerMinute: {}, problems: []};
  for (const td of all("#statuses td[data-status]")) out.statuses[td.dataset.status] = Number(td.textContent);
  out.total = Number(document.getElementById("total-orders").textContent);
  for (const tr of all("#revenue tr[data-currency]")) out.revenue[tr.dataset.currency + " " + tr.dataset.day] = Number(tr.querySelector("[data-amount]").dataset.amount);
  out.recent = all("#recent tr[data-order-id]").map((tr) => tr.dataset.orderId);
  const bars = all("#chart svg rect.bar");
  for (const b of bars) out.eventsPerMinute[new Date(b.dataset.minute).toISOString()] = Number(b.dataset.total);
  out.bars = bars.length;
  out.barHeight = bars.reduce((s, b) => s + Number(b.getAttribute("height")), 0);
  out.lag = document.getElementById("lag").textContent;
  out.dlq = document.getElementById("dlq").textContent;
  out.problems = all("#problems li").map((li) => li.textContent);
  return out;
})()`

// redisNumbers are the same numbers read from Redis with a Reader.
type redisNumbers struct {
	statuses        map[string]int64
	total           int64
	revenue         map[string]int64
	recent          []string
	eventsPerMinute map[string]int64
}

func readRedis(t *testing.T, ctx context.Context, r *projections.Reader) redisNumbers {
	c, err := r.Counters(ctx)
	require.NoError(t, err)
	pg, err := r.Orders(ctx, "", dashboard.RecentLimit)
	require.NoError(t, err)
	n := redisNumbers{statuses: map[string]int64{}, revenue: map[string]int64{}, recent: []string{}, eventsPerMinute: map[string]int64{}}
	for _, s := range dashboard.Statuses {
		n.statuses[string(s)] = c.OrdersByStatus[s]
		n.total += c.OrdersByStatus[s]
	}
	for _, rv := range c.Revenue {
		n.revenue[rv.Currency+" "+rv.Day] = rv.Amount
	}
	for _, v := range pg.Orders {
		n.recent = append(n.recent, v.OrderID)
	}
	for _, m := range c.EventsPerMinute {
		var sum int64
		for _, k := range m.ByType {
			sum += k
		}
		if sum > 0 {
			n.eventsPerMinute[m.Minute.UTC().Format("2006-01-02T15:04:05.000Z")] = sum
		}
	}
	return n
}

func (p pageNumbers) matches(r redisNumbers) bool {
	eq := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return bytes.Equal(x, y)
	}
	return eq(p.Statuses, r.statuses) && p.Total == r.total && eq(p.Revenue, r.revenue) &&
		eq(p.Recent, r.recent) && eq(p.EventsPerMinute, r.eventsPerMinute)
}

// devOrderd is a running `orderd --dev`.
type devOrderd struct {
	cmd        *exec.Cmd
	apiAddr    string
	adminToken string
	jwtKey     []byte
	stdout     *testenv.SyncBuffer
	logs       *testenv.SyncBuffer
	exited     chan error
}

func startDevOrderd(t *testing.T) *devOrderd {
	bin := filepath.Join(t.TempDir(), "orderd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/orderd")
	build.Dir = ".." // the module root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/orderd: %s", out)

	o := &devOrderd{apiAddr: freeAddr(t), jwtKey: []byte("dashboard-browser-test-key-0123456789"),
		stdout: &testenv.SyncBuffer{}, logs: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	httpAddr := freeAddr(t)
	o.adminToken, err = api.Token(o.jwtKey, "dashboard-test", api.RoleAdmin)
	require.NoError(t, err)
	o.cmd = exec.Command(bin, "--dev", "--api-addr="+o.apiAddr, "--http-addr="+httpAddr)
	// Only the settings given here: the test bed's ORDERLOG_KAFKA_BROKERS
	// would conflict with --dev.
	o.cmd.Env = append(environWithout("ORDERLOG_"), "ORDERLOG_JWT_KEY="+string(o.jwtKey))
	o.cmd.Stdout, o.cmd.Stderr = o.stdout, o.logs
	require.NoError(t, o.cmd.Start())
	go func() { o.exited <- o.cmd.Wait() }()
	t.Cleanup(func() {
		if o.cmd.ProcessState == nil {
			_ = o.cmd.Process.Kill()
			<-o.exited
		}
		if t.Failed() {
			t.Logf("orderd stdout:\n%s\norderd logs:\n%s", o.stdout.String(), o.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return o
			}
		}
		select {
		case err := <-o.exited:
			t.Fatalf("orderd --dev exited before ready: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "orderd --dev not ready within 20 s")
		time.Sleep(50 * time.Millisecond)
	}
}

func (o *devOrderd) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+o.apiAddr+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func (o *devOrderd) createOrder(t *testing.T, customer string) string {
	tok, err := api.Token(o.jwtKey, customer, api.RoleCustomer)
	require.NoError(t, err)
	code, body := o.call(t, "POST", api.Prefix+"/orders", tok, map[string]any{"currency": "USD",
		"items": []order.LineItem{{ProductID: "sku-9", Name: "Lamp", Quantity: 1, UnitPrice: 2599}}})
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var v struct {
		OrderID string `json:"orderId"`
	}
	require.NoError(t, json.Unmarshal(body, &v))
	require.NotEmpty(t, v.OrderID)
	return v.OrderID
}

func (o *devOrderd) snapshot(t *testing.T) dashboard.Snapshot {
	code, body := o.call(t, "GET", api.Prefix+"/dashboard", o.adminToken, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	var s dashboard.Snapshot
	require.NoError(t, json.Unmarshal(body, &s))
	return s
}

// stop sends SIGTERM and wants exit status 0 within 15 s.
func (o *devOrderd) stop(t *testing.T) {
	require.NoError(t, o.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-o.exited:
		require.NoError(t, err, "orderd exits 0 on SIGTERM")
	case <-time.After(15 * time.Second):
		t.Fatal("orderd did not exit within 15 s of SIGTERM")
	}
}

func environWithout(prefix string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
