package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// readOnly refuses writes: the API benchmark only reads.
type readOnly struct{}

func (readOnly) Send(context.Context, order.Command) error { return errors.New("read-only benchmark") }
func (readOnly) Wait(context.Context, string) (order.CommandResult, error) {
	return order.CommandResult{}, errors.New("read-only benchmark")
}

// runAPIGet serves the HTTP API over loopback on the read models under
// prefix and sends GET /api/v1/orders/{id} for random ids at rate per
// second for d, measuring each request from send to full response.
func runAPIGet(ctx context.Context, cfg config, prefix string, ids []string, rate float64, d time.Duration) (run, error) {
	rdb := redis.NewClient(&redis.Options{Addr: cfg.redisAddr, PoolSize: 64})
	defer rdb.Close()
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix})
	if err != nil {
		return run{}, err
	}
	key := []byte("orderbench-key-orderbench-key-32b")
	srv, err := api.New(api.Config{Reader: reader, Commands: readOnly{}, Results: readOnly{}, JWTKey: key})
	if err != nil {
		return run{}, err
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	tok, err := api.Token(key, "bench", api.RoleAdmin)
	if err != nil {
		return run{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	n := int(rate * d.Seconds())
	lat := &latencies{samples: make([]time.Duration, 0, n)}
	jobs := make(chan string, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/api/v1/orders/"+id, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET order %s: status %d", id, resp.StatusCode)
					}
				}
				lat.add(time.Since(t0))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); wait > time.Millisecond {
			time.Sleep(wait)
		}
		jobs <- ids[rand.IntN(len(ids))]
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return run{}, firstErr
	}
	return run{name: fmt.Sprintf("API GET /orders/{id} at %.0f/s", rate), commands: n, elapsed: time.Since(start), lat: lat, rate: rate}, nil
}
