package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// CommandSender puts a command on order.commands. An error means the
// command may not have reached Kafka; the API answers 503.
type CommandSender interface {
	Send(ctx context.Context, c order.Command) error
}

// ResultWaiter returns the result of a command once it arrives on
// order.command-results, or ctx's error.
type ResultWaiter interface {
	Wait(ctx context.Context, commandID string) (order.CommandResult, error)
}

// Config is what a Server needs; Reader, Commands, Results and Auth or
// JWTKey are required.
type Config struct {
	Reader   *projections.Reader
	Commands CommandSender
	Results  ResultWaiter
	// Auth verifies bearer tokens (OIDC in production). Without it tokens
	// are verified with JWTKey (HMACAuth).
	Auth Authenticator
	// JWTKey is the HMAC key bearer tokens are signed with when Auth is nil.
	JWTKey []byte
	// Timeout bounds a write: sending the command and waiting for its
	// result (default 5 s). Waiting for the projection to reach the
	// result's version (read your writes) is bounded by it again.
	Timeout time.Duration
	// Keys, if set, binds each Idempotency-Key to the request first sent
	// with it, so that the key sent again with another request is 422
	// IDEMPOTENCY_KEY_REUSED (RedisKeys). Without it such a request is
	// answered as the first was (the processor's dedup by command id).
	Keys KeyStore
	// Queues, if set, gives the dashboard the projection lag and DLQ size
	// (dashboard.KafkaQueues); without it they are reported unknown.
	Queues dashboard.Queues
	Logger *slog.Logger
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	var errs []error
	if cfg.Reader == nil {
		errs = append(errs, errors.New("api: Reader is nil"))
	}
	if cfg.Commands == nil {
		errs = append(errs, errors.New("api: Commands (CommandSender) is nil"))
	}
	if cfg.Results == nil {
		errs = append(errs, errors.New("api: Results (ResultWaiter) is nil"))
	}
	if cfg.Auth == nil && len(cfg.JWTKey) == 0 {
		errs = append(errs, errors.New("api: JWTKey is empty (and no Auth is given)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Auth == nil {
		cfg.Auth = HMACAuth{Key: cfg.JWTKey}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	for _, r := range s.routes() {
		var h http.Handler = r.handler
		if !r.public {
			h = s.authenticate(h)
		}
		s.mux.Handle(r.pattern(), h)
	}
	page := dashboard.Handler() // static files, no data: no token needed
	s.mux.Handle("GET "+dashboard.Page, page)
	s.mux.Handle("GET "+dashboard.Page+"/{$}", page)
	s.mux.Handle("GET "+dashboard.Page+"/{file}", page)
	return s, nil
}

// Handler returns the API's handler; it serves everything under /api/v1
// and the dashboard page at /dashboard.
func (s *Server) Handler() http.Handler { return s.logRequests(s.mux) }

// route is one endpoint; routes() is what the mux registers and what the
// OpenAPI document must describe.
type route struct {
	method, path string
	handler      http.HandlerFunc
	public       bool
}

func (r route) pattern() string { return r.method + " " + r.path }

// Prefix is the path every route starts with.
const Prefix = "/api/v1"

func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: Prefix + "/openapi.json", handler: s.openAPI, public: true},
		{method: "POST", path: Prefix + "/orders", handler: s.createOrder},
		{method: "GET", path: Prefix + "/orders", handler: s.listOrders},
		{method: "GET", path: Prefix + "/orders/{id}", handler: s.getOrder},
		{method: "PUT", path: Prefix + "/orders/{id}", handler: s.updateOrder},
		{method: "DELETE", path: Prefix + "/orders/{id}", handler: s.cancelOrder},
		{method: "POST", path: Prefix + "/orders/{id}/items", handler: s.addItems},
		{method: "PUT", path: Prefix + "/orders/{id}/items/{itemId}", handler: s.updateItem},
		{method: "DELETE", path: Prefix + "/orders/{id}/items/{itemId}", handler: s.removeItem},
		{method: "POST", path: Prefix + "/orders/{id}/place", handler: s.placeOrder},
		{method: "POST", path: Prefix + "/orders/{id}/cancellation", handler: s.requestCancellation},
		{method: "POST", path: Prefix + "/orders/{id}/approval", handler: s.approveOrder},
		{method: "POST", path: Prefix + "/orders/{id}/flags", handler: s.flagOrder},
		{method: "POST", path: Prefix + "/orders/{id}/notes", handler: s.addNote},
		{method: "PUT", path: Prefix + "/orders/{id}/shipping-address", handler: s.changeShippingAddress},
		{method: "POST", path: Prefix + "/orders/{id}/returns", handler: s.requestReturn},
		{method: "POST", path: Prefix + "/orders/{id}/returns/{returnId}/receipt", handler: s.receiveReturn},
		{method: "POST", path: Prefix + "/orders/{id}/refunds", handler: s.requestRefund},
		{method: "POST", path: Prefix + "/orders/{id}/refunds/{refundId}/record", handler: s.recordRefund},
		{method: "POST", path: Prefix + "/orders/{id}/ship", handler: s.shipOrder},
		{method: "GET", path: Prefix + "/orders/{id}/status", handler: s.orderStatus},
		{method: "GET", path: Prefix + "/orders/{id}/events", handler: s.orderEvents},
		{method: "GET", path: Prefix + "/events", handler: s.eventsByType},
		{method: "GET", path: Prefix + "/dashboard", handler: s.dashboard},
		{method: "GET", path: Prefix + "/attention", handler: s.attention},
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
