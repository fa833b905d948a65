package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/internal/testenv"
)

// TestProcessorAndProjectorRolesTogether runs both roles in one orderd on
// kfake and a real redis-server: a command sent to order.commands ends up as
// an order view in Redis.
func TestProcessorAndProjectorRolesTogether(t *testing.T) {
	redisAddr := testenv.RedisAddr(t)
	prefix := "orderd-test-" + time.Now().Format("150405.000000") + ":"
	brokers := newKfake(t)
	o := startRun(t, brokers, "--topic-prefix=unit.", "--roles=processor,projector",
		"--redis-addr="+redisAddr, "--redis-prefix="+prefix)
	o.eventually("/readyz", 200, "ready: processor, projector")
	o.eventually("/metrics", 200, "orderlog_projector_")

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("unit.order.commands"))
	require.NoError(t, err)
	defer cl.Close()
	cmd := `{"commandId":"c-1","type":"CreateOrder","orderId":"o-1","data":{"customerId":"cust-1","currency":"USD"}}`
	require.NoError(t, cl.ProduceSync(context.Background(), &kgo.Record{Key: []byte("o-1"), Value: []byte(cmd)}).FirstErr())

	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	require.Eventually(t, func() bool {
		v, err := rdb.HGet(context.Background(), prefix+"order:{o-1}", "version").Result()
		return err == nil && v == "1"
	}, 20*time.Second, 50*time.Millisecond, "the order view reaches Redis")
	require.Equal(t, 0, o.stop())
}

// TestAllRolesServeTheAPI runs processor, projector and api in one orderd
// on kfake and a real redis-server: an order created over HTTP is read back.
func TestAllRolesServeTheAPI(t *testing.T) {
	testAllRolesServeTheAPI(t, "--redis-addr="+testenv.RedisAddr(t))
}

// TestAllRolesServeTheAPIOnARedisCluster is the same with the read models
// on the test bed's Redis Cluster (--redis-mode=cluster and its seeds).
func TestAllRolesServeTheAPIOnARedisCluster(t *testing.T) {
	seeds := strings.TrimSpace(os.Getenv("ORDERLOG_REDIS_CLUSTER_ADDRS"))
	if seeds == "" {
		t.Skip("ORDERLOG_REDIS_CLUSTER_ADDRS is not set: no Redis Cluster (make test starts one; or source .testbed/env)")
	}
	testAllRolesServeTheAPI(t, "--redis-mode=cluster", "--redis-addr="+seeds)
}

func testAllRolesServeTheAPI(t *testing.T, redisFlags ...string) {
	prefix := "orderd-api-" + time.Now().Format("150405.000000") + ":"
	key := "0123456789abcdef0123456789abcdef"
	apiAddr := freeAddr(t)
	o := startRun(t, newKfake(t), append([]string{"--topic-prefix=unit.", "--roles=processor,projector,api",
		"--redis-prefix=" + prefix, "--api-addr=" + apiAddr, "--jwt-key=" + key}, redisFlags...)...)
	o.eventually("/readyz", 200, "ready: processor, projector, api")

	tok, err := api.Token([]byte(key), "alice", api.RoleCustomer)
	require.NoError(t, err)
	call := func(method, path, body string) (*http.Response, string) {
		req, err := http.NewRequest(method, "http://"+apiAddr+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := call("POST", "/api/v1/orders", `{"currency":"USD","items":[{"productId":"sku-1","quantity":2,"unitPrice":1999}]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	resp, body = call("GET", resp.Header.Get("Location"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"sku-1"`)
	resp, _ = call("GET", "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 0, o.stop())
}

// TestRebuildPrefixSwitchesReaders: a second orderd with --rebuild-prefix
// projects the log again under a new prefix and points readers to it.
func TestRebuildPrefixSwitchesReaders(t *testing.T) {
	redisAddr := testenv.RedisAddr(t)
	stamp := time.Now().Format("150405.000000")
	oldPrefix, newPrefix, pointer := "orderd-old-"+stamp+":", "orderd-new-"+stamp+":", "orderd-pointer-"+stamp
	brokers := newKfake(t)
	live := startRun(t, brokers, "--topic-prefix=unit.", "--roles=processor,projector", "--redis-addr="+redisAddr,
		"--redis-prefix="+oldPrefix, "--redis-pointer-key="+pointer)
	live.eventually("/readyz", 200, "ready")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("unit.order.commands"))
	require.NoError(t, err)
	defer cl.Close()
	cmd := `{"commandId":"c-1","type":"CreateOrder","orderId":"o-1","data":{"customerId":"cust-1","currency":"USD"}}`
	require.NoError(t, cl.ProduceSync(context.Background(), &kgo.Record{Key: []byte("o-1"), Value: []byte(cmd)}).FirstErr())
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	version := func(prefix string) string {
		return rdb.HGet(context.Background(), prefix+"order:{o-1}", "version").Val()
	}
	require.Eventually(t, func() bool { return version(oldPrefix) == "1" }, 20*time.Second, 50*time.Millisecond)

	rebuild := startRun(t, brokers, "--topic-prefix=unit.", "--roles=projector", "--redis-addr="+redisAddr,
		"--redis-prefix="+oldPrefix, "--redis-pointer-key="+pointer, "--rebuild-prefix="+newPrefix)
	require.Eventually(t, func() bool {
		return rdb.Get(context.Background(), pointer).Val() == newPrefix && version(newPrefix) == "1"
	}, 30*time.Second, 50*time.Millisecond, "the rebuild caught up and switched readers")
	require.Equal(t, 0, rebuild.stop())
	require.Equal(t, 0, live.stop())
}

// A Redis (here a cluster) that is down at start is waited for: orderd
// stays up, /readyz names the role, the setting and the error, and once
// it stops it exits cleanly; no crash loop.
func TestRedisDownAtStartIsNotReadyNotACrash(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	o := startRun(t, newKfake(t), "--topic-prefix=unit.", "--roles=processor,projector",
		"--redis-mode=cluster", "--redis-addr="+dead)
	body := o.eventually("/readyz", 503, "projector (redis at "+dead+" (ORDERLOG_REDIS_ADDR / --redis-addr): redis cluster:")
	assert.Contains(t, body, "connection refused")
	o.eventually("/healthz", 200, "ok")
	require.Equal(t, 0, o.stop())
}
