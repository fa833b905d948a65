package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestDevBannerPromisesOnlyWhatTheSimulatorsAllow: the banner says where
// the demo orders end from the simulators' settings, and promises DELIVERED
// only when nothing is set to fail.
func TestDevBannerPromisesOnlyWhatTheSimulatorsAllow(t *testing.T) {
	ok := SimConfig{Stock: 1000}
	with := func(f func(*SimConfig)) SimConfig { c := ok; f(&c); return c }
	for _, tc := range []struct {
		name        string
		saga        bool
		sim         SimConfig
		status      string
		says, never string
	}{
		{"no saga", false, ok, "DELIVERED", "demo-3 PLACED", ""},
		{"healthy simulators", true, ok, "DELIVERED", "to DELIVERED in a few seconds", ""},
		{"every payment declined", true, with(func(c *SimConfig) { c.PaymentDeclineRate = 1 }), "CANCELLED", "every payment is declined", "DELIVERED"},
		{"no answers", true, with(func(c *SimConfig) { c.DropRate = 1 }), "CANCELLED", "never answer", "DELIVERED"},
		{"every shipment refused", true, with(func(c *SimConfig) { c.ShippingFailureRate = 1 }), "CONFIRMED", "SHIPMENT_FAILED", "DELIVERED"},
		{"no stock", true, with(func(c *SimConfig) { c.Stock = 0 }), "CONFIRMED", "backordered", "DELIVERED in"},
		{"some declines", true, with(func(c *SimConfig) { c.PaymentDeclineRate = 0.3 }), "", "DELIVERED unless", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := demoOutlookOf(tc.saga, tc.sim)
			require.Equal(t, tc.status, o.status)
			require.Contains(t, o.text, tc.says)
			if tc.never != "" {
				require.NotContains(t, o.text, tc.never)
			}
		})
	}
}

// TestDevModeWithEveryPaymentDeclinedKeepsItsBannersWord runs `orderd --dev
// --sim-payment-decline-rate=1`: the banner's curl lists CANCELLED orders,
// and the placed demo orders are there once the saga gave up on them.
func TestDevModeWithEveryPaymentDeclinedKeepsItsBannersWord(t *testing.T) {
	httpAddr, apiAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, logs := &testenv.SyncBuffer{}, &testenv.SyncBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--dev", "--http-addr=" + httpAddr, "--api-addr=" + apiAddr, "--sim-payment-decline-rate=1"}, env(), stdout, logs)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nlogs:\n%s", stdout.String(), logs.String())
		}
	}()
	o := &orderd{t: t, addr: httpAddr}
	o.eventually("/readyz", 200, "ready:")
	banner := stdout.String()
	require.NotContains(t, banner, "DELIVERED", "nothing can be delivered when every payment is declined")
	m := regexp.MustCompile(`curl -H "Authorization: Bearer ([^"]+)" '([^']+)'`).FindStringSubmatch(banner)
	require.NotNil(t, m, "the banner has a curl command")
	require.True(t, strings.HasSuffix(m[2], "?status=CANCELLED"), m[2])
	get := func() string {
		req, err := http.NewRequest("GET", m[2], nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+m[1])
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	require.Eventually(t, func() bool {
		body := get()
		return strings.Contains(body, `"demo-1"`) && strings.Contains(body, `"demo-2"`) && strings.Contains(body, `"demo-3"`)
	}, 60*time.Second, 100*time.Millisecond, "the placed demo orders end CANCELLED, as the banner says")
	cancel()
	select {
	case code := <-exit:
		require.Equal(t, 0, code)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30 s")
	}
}
