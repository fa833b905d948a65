package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namedRole is a running role.
type namedRole struct {
	name string
	Role
}

// health answers /healthz and /readyz.
type health struct {
	roles    atomic.Pointer[[]namedRole] // nil while starting
	stopping atomic.Bool
}

// newMux serves /metrics from reg, /healthz and /readyz from h.
func newMux(reg *prometheus.Registry, h *health) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", h.readyz)
	return mux
}

func (h *health) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rs := h.roles.Load()
	switch {
	case h.stopping.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: shutting down")
		return
	case rs == nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: starting (topics, schemas, roles)")
		return
	}
	var ready, waiting []string
	for _, r := range *rs {
		switch {
		case r.Ready():
			ready = append(ready, r.name)
		case healthOf(r.Role) != nil:
			// The runtime's roles say why: joining, restoring, or which
			// partition cannot make progress and its reason.
			waiting = append(waiting, fmt.Sprintf("%s (%v)", r.name, healthOf(r.Role)))
		default:
			waiting = append(waiting, r.name)
		}
	}
	if len(waiting) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", strings.Join(waiting, ", "))
		return
	}
	fmt.Fprintf(w, "ready: %s\n", strings.Join(ready, ", "))
}

// readyGauges exports each role's readiness as orderlog_orderd_role_ready.
func readyGauges(reg prometheus.Registerer, rs []namedRole) {
	for _, r := range rs {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "orderlog_orderd_role_ready",
			Help:        "1 when the role is ready (see /readyz), else 0.",
			ConstLabels: prometheus.Labels{"role": r.name},
		}, func() float64 {
			if r.Ready() {
				return 1
			}
			return 0
		}))
	}
}

// healthOf is why role is not ready, when it can say (Health() error).
func healthOf(role Role) error {
	if h, ok := role.(interface{ Health() error }); ok {
		return h.Health()
	}
	return nil
}
