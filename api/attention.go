package api

import (
	"net/http"
	"time"

	"github.com/orderlog/orderlog/projections"
)

// AttentionList is the body of GET /api/v1/attention: the orders that need
// a support person (projections.Reader.Attention), read at At.
type AttentionList struct {
	At time.Time `json:"at"`
	projections.AttentionList
}

// attention answers the needs-attention list, for admins only: its reasons
// can quote the saga's admin notes, which only admins see. ?limit= bounds
// it (default 100, at most 1000); ?order=ID answers that order's entry
// alone, judged from its view (an empty list when it needs nothing, 404
// when there is no such order).
func (s *Server) attention(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, RoleAdmin) {
		return
	}
	limit, ok := intParam(w, r, "limit")
	if !ok {
		return
	}
	now := time.Now()
	if id := r.URL.Query().Get("order"); id != "" {
		v, err := s.cfg.Reader.Order(r.Context(), id)
		if err != nil {
			readError(w, id, err)
			return
		}
		l := projections.AttentionList{Orders: []projections.AttentionItem{}}
		if it, ok := projections.Attention(v, now); ok {
			l.Orders, l.Total = append(l.Orders, it), 1
		}
		writeJSON(w, http.StatusOK, AttentionList{At: now.UTC(), AttentionList: l})
		return
	}
	l, err := s.cfg.Reader.Attention(r.Context(), int(limit))
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, AttentionList{At: now.UTC(), AttentionList: l})
}
