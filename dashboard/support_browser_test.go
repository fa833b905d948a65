package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// TestAdminApprovesAHeldOrderFromTheDashboardInChromium is a support
// person's path end to end on `orderd --dev`: an order held for approval
// appears in the needs-attention list with its reason and age; its link
// leads to the order's page; a refund the API refuses shows the API's own
// message; Approve there lifts the hold (the page, the projection and the
// list all say so).
func TestAdminApprovesAHeldOrderFromTheDashboardInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	o := startDevOrderd(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + devRedisPort(t, o)})
	t.Cleanup(func() { rdb.Close() })
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb})
	require.NoError(t, err)

	id := o.createOrder(t, "dave")
	code, body := o.call(t, "POST", api.Prefix+"/orders/"+id+"/flags", o.adminToken,
		map[string]any{"code": "HIGH_VALUE", "reason": "above the review limit", "requiresApproval": true})
	require.Equal(t, http.StatusOK, code, "%s", body)
	// What the API answers for a refund of a draft: the page must show it.
	code, body = o.call(t, "POST", api.Prefix+"/orders/"+id+"/refunds", o.adminToken, map[string]any{"amount": 100, "reason": "goodwill"})
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	var refusal api.Error
	require.NoError(t, json.Unmarshal(body, &refusal))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1400))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()

	row := `#attention tr[data-order-id="` + id + `"]`
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate("http://"+o.apiAddr+dashboard.Page+"#token="+o.adminToken),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-kind="HELD_FOR_APPROVAL"]`)),
	), "the held order is on the needs-attention list")
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(row)))
	require.NoError(t, err)
	require.Contains(t, text, "HIGH_VALUE: above the review limit")
	require.Regexp(t, `\d+s$`, strings.TrimSpace(text), "with its age")

	require.NoError(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(row+` a`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-attention li[data-kind="HELD_FOR_APPROVAL"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#summary dd[data-field="approval"]`)),
	), "the link leads to the order's page, which says why it needs attention")
	approval, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#summary dd[data-field="approval"]`)))
	require.NoError(t, err)
	require.Equal(t, "pending", approval)
	total, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#summary dd[data-field="total"]`)))
	require.NoError(t, err)
	require.Equal(t, "25.99 USD", total, "the order's total (createOrder's one lamp)")

	// A refused action shows the API's message.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS(`#refund-form input[name="amount"]`), "100"),
		chromedp.SendKeys(chromedp.CSS(`#refund-form input[name="reason"]`), "goodwill"),
		chromedp.Click(chromedp.CSS(`#refund-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-result[data-state="error"]`)),
	))
	shown, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#action-result`)))
	require.NoError(t, err)
	require.Contains(t, shown, refusal.Code+": "+refusal.Message, "the page shows the API's refusal")

	// Approve from the page.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS(`#approve-form input[name="comment"]`), "checked the customer"),
		chromedp.Click(chromedp.CSS(`#approve-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-result[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#events tr[data-seq] td`)),
	), "the approval is answered")
	v, err := reader.Order(ctx, id)
	require.NoError(t, err)
	require.False(t, v.Approval.Pending, "the projection has the approval")
	require.Equal(t, "dashboard-test", v.Approval.ApprovedBy, "approved by the page's admin")
	require.Equal(t, "checked the customer", v.Approval.Comment)
	after, err := chromedp.Run(bctx, chromedp.Evaluate[struct {
		Approval  string `json:"approval"`
		Attention int    `json:"attention"`
		Approved  int    `json:"approved"`
		Version   string `json:"version"`
	}](`({approval: document.querySelector('#summary dd[data-field="approval"]').textContent,
	   attention: document.querySelectorAll("#order-attention li").length,
	   approved: Array.from(document.querySelectorAll("#events tr[data-seq]")).filter((tr) => tr.children[2].textContent === "ORDER_APPROVED").length,
	   version: document.body.dataset.orderVersion})`))
	require.NoError(t, err)
	require.Equal(t, "approved by dashboard-test", after.Approval)
	require.Zero(t, after.Attention, "the order no longer needs attention")
	require.Equal(t, 1, after.Approved, "the history shows ORDER_APPROVED")
	require.Equal(t, jsonNumber(v.Version), after.Version)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(artifactDir(t), "dashboard-order.png"), shot, 0o644))

	// Back on the overview, the list no longer has it.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate("http://"+o.apiAddr+dashboard.Page),
		chromedp.WaitVisible(chromedp.CSS(`#attention tbody tr`)),
	))
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('`+row+`').length`))
	require.NoError(t, err)
	require.Zero(t, n, "off the needs-attention list")
	l, err := reader.Attention(ctx, 1000)
	require.NoError(t, err)
	for _, it := range l.Orders {
		require.NotEqual(t, id, it.OrderID)
	}
	require.Equal(t, order.StatusDraft, v.Status)
	o.stop(t)
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
