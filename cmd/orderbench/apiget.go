package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// apiRun is HTTP requests at a fixed rate, each measured from when it was
// due to its full response.
type apiRun struct {
	name     string
	rate     float64
	lat      *latencies
	failed   int   // requests that failed, not measured
	firstErr error // the first of them
}

func (r apiRun) String() string {
	return fmt.Sprintf("%-44s %7d samples  p50 %9s  p99 %9s  max %9s%s", r.name, r.lat.count(), ms(r.lat.pct(0.5)), ms(r.lat.pct(0.99)), ms(r.lat.pct(1)), r.failures())
}

// failures says how many requests failed, and the first error.
func (r apiRun) failures() string {
	if r.failed == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d failed; the first: %v)", r.failed, r.firstErr)
}

// readOnly refuses writes: the GET benchmark only reads.
type readOnly struct{}

func (readOnly) Send(context.Context, order.Command) error { return errors.New("read-only benchmark") }
func (readOnly) Wait(context.Context, string) (order.CommandResult, error) {
	return order.CommandResult{}, errors.New("read-only benchmark")
}

var benchJWTKey = []byte("orderbench-key-orderbench-key-32b")

// apiClient calls a test server as an admin.
type apiClient struct {
	base, token string
	http        *http.Client
}

// serveAPI serves the API over loopback on the read models under prefix
// and returns a client of it, and what closes the server.
func serveAPI(rdb redis.UniversalClient, prefix string, cmds api.CommandSender, results api.ResultWaiter) (apiClient, func(), error) {
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix})
	if err != nil {
		return apiClient{}, nil, err
	}
	srv, err := api.New(api.Config{Reader: reader, Commands: cmds, Results: results, JWTKey: benchJWTKey})
	if err != nil {
		return apiClient{}, nil, err
	}
	tok, err := api.Token(benchJWTKey, "bench", api.RoleAdmin)
	if err != nil {
		return apiClient{}, nil, err
	}
	hs := httptest.NewServer(srv.Handler())
	return apiClient{base: hs.URL, token: tok, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}, hs.Close, nil
}

// do sends one request and reads the whole answer; any status but want
// is an error.
func (c apiClient) do(ctx context.Context, method, path, body string, want int) error {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %.200s", method, path, resp.StatusCode, b)
	}
	return nil
}

// paced calls do(i) for i in [0, n) on the schedule, each on its own
// goroutine (open loop: a slow answer does not delay the next request),
// and measures each from when it was due. Samples of requests due in the
// warm-up are dropped. A request that fails (a timeout under load, say)
// is counted in failed, not measured, and does not stop the run.
func paced(ctx context.Context, fr fixedRate, do func(ctx context.Context, i int) error) (lat *latencies, failed int, first error) {
	n := fr.items()
	sch := schedule{start: time.Now(), rate: fr.rate}
	lat = newLatencies(n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, 1024)
	for i := range n {
		at := sch.wait(i)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := do(ctx, i); err != nil {
				mu.Lock()
				if failed++; first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			if fr.counts(sch.start, at) {
				lat.add(time.Since(at))
			}
		}()
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	return lat, failed, first
}

// runAPIGet serves the HTTP API over loopback on the read models under
// prefix and sends GET /api/v1/orders/{id} for random ids of ids.
func runAPIGet(ctx context.Context, cfg config, prefix string, ids []string, fr fixedRate) (apiRun, error) {
	rdb := redis.NewClient(&redis.Options{Addr: cfg.redisAddr, PoolSize: 64})
	defer rdb.Close()
	c, closeAPI, err := serveAPI(rdb, prefix, readOnly{}, readOnly{})
	if err != nil {
		return apiRun{}, err
	}
	defer closeAPI()
	lat, failed, first := paced(ctx, fr, func(ctx context.Context, _ int) error {
		return c.do(ctx, http.MethodGet, api.Prefix+"/orders/"+ids[rand.IntN(len(ids))], "", http.StatusOK)
	})
	if ctx.Err() != nil {
		return apiRun{}, ctx.Err()
	}
	return apiRun{name: fmt.Sprintf("API GET /orders/{id} at %s/s", thousands(fr.rate)), rate: fr.rate, lat: lat, failed: failed, firstErr: first}, nil
}
