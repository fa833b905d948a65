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
// it (default 100, at most 1000).
func (s *Server) attention(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, RoleAdmin) {
		return
	}
	limit, ok := intParam(w, r, "limit")
	if !ok {
		return
	}
	l, err := s.cfg.Reader.Attention(r.Context(), int(limit))
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, AttentionList{At: time.Now().UTC(), AttentionList: l})
}
