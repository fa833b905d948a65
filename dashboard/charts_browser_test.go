package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/order"
)

// TestChartsDrawTheSamplesInChromium serves the page with a snapshot whose
// charts have a gap (an interval without results, a lag that failed) and
// checks in Chromium that each chart draws every known point, breaks its
// line at the gap and ends at the last value. The Sampler that makes such
// snapshots is tested on kfake (sampler_test.go).
func TestChartsDrawTheSamplesInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	end := time.Now().UTC().Truncate(time.Second)
	f := func(v float64) *float64 { return &v }
	n := func(v int64) *int64 { return &v }
	var pts []dashboard.Point
	for i := range 12 {
		p := dashboard.Point{At: end.Add(time.Duration(i-11) * 10 * time.Second), Commands: int64(10 * (i + 1)),
			CommandsPerSecond: float64(i + 1), P99Millis: f(float64(20 + i)), ProjectionLag: n(int64(i))}
		if i == 5 {
			p.Commands, p.CommandsPerSecond, p.P99Millis, p.ProjectionLag = 0, 0, nil, nil
		}
		pts = append(pts, p)
	}
	snap := dashboard.Snapshot{At: end, OrdersByStatus: map[order.Status]int64{}, Revenue: []dashboard.Revenue{},
		EventsPerMinute: []dashboard.Minute{}, RecentOrders: []dashboard.RecentOrder{}, Problems: []string{}, QueueUnit: "records",
		Charts: &dashboard.Charts{IntervalSeconds: 10, WindowSeconds: 3600, Since: end.Add(-2 * time.Minute), Points: pts}}
	mux := http.NewServeMux()
	mux.Handle("GET /dashboard", dashboard.Handler())
	mux.Handle("GET /dashboard/{file}", dashboard.Handler())
	mux.HandleFunc("GET /api/v1/dashboard", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(snap) })
	mux.HandleFunc("GET /api/v1/attention", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"at":"` + end.Format(time.RFC3339) + `","total":0,"orders":[]}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU)...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+dashboard.Page+"#token=any"),
		chromedp.WaitVisible(chromedp.CSS(`#chart-lag svg`)),
	))
	type drawn struct {
		Points int     `json:"points"`
		Last   float64 `json:"last"`
		Lines  int     `json:"lines"`
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]drawn](`Object.fromEntries(
	  Array.from(document.querySelectorAll(".line-chart")).map((d) => [d.id,
	    {points: Number(d.dataset.points), last: Number(d.dataset.last), lines: d.querySelectorAll("polyline").length}]))`))
	require.NoError(t, err)
	require.Equal(t, map[string]drawn{
		"chart-commands": {Points: 12, Last: 12, Lines: 1}, // 0 commands is a value, not a gap
		"chart-p99":      {Points: 11, Last: 31, Lines: 2},
		"chart-lag":      {Points: 11, Last: 11, Lines: 2},
	}, got)
}
