package main

import (
	"bytes"
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

// TestDevModeServesTheAPIWithDemoOrders runs `orderd --dev`: embedded Kafka
// and Redis, every role, demo traffic and a banner whose token works.
func TestDevModeServesTheAPIWithDemoOrders(t *testing.T) {
	httpAddr, apiAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, logs := &testenv.SyncBuffer{}, &testenv.SyncBuffer{}
	exit := make(chan int, 1)
	started := time.Now()
	go func() {
		exit <- run(ctx, []string{"--dev", "--http-addr=" + httpAddr, "--api-addr=" + apiAddr}, env(), stdout, logs)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nlogs:\n%s", stdout.String(), logs.String())
		}
	}()
	o := &orderd{t: t, addr: httpAddr}
	o.eventually("/readyz", 200, "ready: processor, projector, api, saga, simulators, dev")
	t.Logf("ready after %s", time.Since(started).Round(time.Millisecond))
	require.Less(t, time.Since(started), 10*time.Second, "dev mode is ready within 10 s")

	banner := stdout.String()
	for _, want := range []string{"http://" + apiAddr + "/api/v1", "http://" + httpAddr + "/metrics",
		"http://" + httpAddr + "/readyz", "kcat -C -b 127.0.0.1:", "-t order.events", "Nothing is kept on exit",
		"/orders?status=DELIVERED", "/dashboard#token="} {
		require.Contains(t, banner, want)
	}
	m := regexp.MustCompile(`curl -H "Authorization: Bearer ([^"]+)" '([^']+)'`).FindStringSubmatch(banner)
	require.NotNil(t, m, "the banner has a curl command")
	tok, deliveredURL := m[1], m[2]

	call := func(method, url, body string) (int, string) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The demo orders reach the read models.
	require.Eventually(t, func() bool {
		code, body := call("GET", deliveredURL, "")
		return code == 200 && strings.Contains(body, `"demo-1"`) && strings.Contains(body, `"demo-2"`)
	}, 30*time.Second, 50*time.Millisecond, "the saga delivers the placed demo orders (simulated payment, stock, carrier)")
	require.Eventually(t, func() bool {
		code, body := call("GET", "http://"+apiAddr+"/api/v1/orders", "")
		return code == 200 && strings.Contains(body, `"demo-3"`) && strings.Contains(body, `"demo-4"`)
	}, 10*time.Second, 50*time.Millisecond, "every demo order is listed")

	// An order created with the printed token is read back.
	code, body := call("POST", "http://"+apiAddr+"/api/v1/orders",
		`{"orderId":"dev-test-1","customerId":"carol","currency":"USD","items":[{"productId":"sku-9","quantity":1,"unitPrice":500}]}`)
	require.Equal(t, http.StatusCreated, code, body)
	code, body = call("GET", "http://"+apiAddr+"/api/v1/orders/dev-test-1", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"sku-9"`)

	cancel()
	select {
	case code := <-exit:
		require.Equal(t, 0, code)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30 s")
	}
	require.Contains(t, logs.String(), "orderd stopped")
	_, err := http.Get("http://" + apiAddr + "/api/v1/openapi.json")
	require.Error(t, err, "the API stops with the process")
}

func TestDevModeRefusesAnExplicitBrokerOrRedis(t *testing.T) {
	for _, args := range [][]string{{"--dev", "--kafka-brokers=10.0.0.1:9092"}, {"--dev", "--redis-addr=10.0.0.1:6379"}} {
		var stderr bytes.Buffer
		require.Equal(t, 2, run(context.Background(), args, env(), io.Discard, &stderr), args)
		require.Contains(t, stderr.String(), "conflicts with --dev")
	}
	var stderr bytes.Buffer
	lookup := func(k string) (string, bool) {
		if k == "ORDERLOG_REDIS_ADDR" {
			return "10.0.0.1:6379", true
		}
		return "", false
	}
	require.Equal(t, 2, run(context.Background(), []string{"--dev"}, lookup, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "ORDERLOG_REDIS_ADDR / --redis-addr: conflicts with --dev")
}
