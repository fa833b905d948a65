package order

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// Handled is an order's memory of every command handled for it, for the
// order's whole life: a 64-bit fingerprint of each command id with its
// outcome, so a command id already handled is answered with its original
// result and never decided again. Handle keeps it; Evolve does not touch
// it (the events do not carry rejections). docs/dedup.md has the design,
// its memory per command and its limits.
type Handled struct {
	// Accepted are the accepted commands, in the order they were handled.
	Accepted []AcceptedCommand `json:"accepted"`
	// Rejected are the remembered rejections, in the order they were handled.
	Rejected []RejectedCommand `json:"rejected"`
}

// AcceptedCommand remembers an accepted command: its event ids are
// EventID(orderId, commandId, i) for i < Events, so only the count is kept.
type AcceptedCommand struct {
	Fingerprint int64 `json:"fingerprint"`
	// Version is the order's version right after the command (its last
	// event's sequence number).
	Version int64 `json:"version"`
	Events  int64 `json:"events"`
}

// RejectedCommand remembers a rejection: its code, field and message (at
// most MaxFieldLen and MaxMessageLen bytes, as the result carried them).
type RejectedCommand struct {
	Fingerprint int64 `json:"fingerprint"`
	// Version is the order's version when the command was rejected.
	Version int64  `json:"version"`
	Code    Code   `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Len is the number of commands remembered.
func (h Handled) Len() int { return len(h.Accepted) + len(h.Rejected) }

// Fingerprint is the 64-bit fingerprint under which an order remembers a
// command id: the first 8 bytes of SHA-256("orderlog/command\x00" + id).
func Fingerprint(commandID string) int64 {
	h := sha256.New()
	h.Write([]byte("orderlog/command\x00"))
	h.Write([]byte(commandID))
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(h.Sum(sum[:0])))
}

// recall returns the original outcome of c if the order handled c.ID
// before, as a *Duplicate, else nil. It looks in the lifelong memory and in
// the window of recent accepted commands that Evolve keeps.
func (s State) recall(c Command) *Duplicate {
	fp := Fingerprint(c.ID)
	for _, a := range s.Handled.Accepted {
		if a.Fingerprint == fp {
			return &Duplicate{CommandID: c.ID, Version: a.Version, EventIDs: eventIDs(c, a.Events)}
		}
	}
	for _, r := range s.Handled.Rejected {
		if r.Fingerprint == fp {
			return &Duplicate{CommandID: c.ID, Version: r.Version,
				Rejection: &Rejection{Code: r.Code, Field: r.Field, Message: r.Message}}
		}
	}
	if r, ok := s.recent(c.ID); ok {
		return &Duplicate{CommandID: c.ID, Version: r.LastSeq, EventIDs: eventIDs(c, r.LastSeq-r.FirstSeq+1)}
	}
	return nil
}

func eventIDs(c Command, n int64) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = EventID(c.OrderID, c.ID, i)
	}
	return ids
}

// withAccepted returns h with an accepted command added; h's slices are
// not written.
func (h Handled) withAccepted(a AcceptedCommand) Handled {
	h.Accepted = append(slices.Clip(h.Accepted), a)
	return h
}

// withRejected returns h with a rejection added; h's slices are not written.
func (h Handled) withRejected(r RejectedCommand) Handled {
	h.Rejected = append(slices.Clip(h.Rejected), r)
	return h
}

// carryOverRecent moves the window of recent accepted commands that
// Evolve keeps (all a state written before the lifelong memory has) into
// Handled, and empties it: the memory then knows every command the window
// knew.
func carryOverRecent(s State) State {
	if len(s.Recent) == 0 {
		return s
	}
	for _, r := range s.Recent {
		fp := Fingerprint(r.ID)
		if s.Handled.knows(fp) {
			continue
		}
		s.Handled = s.Handled.withAccepted(AcceptedCommand{Fingerprint: fp, Version: r.LastSeq, Events: r.LastSeq - r.FirstSeq + 1})
	}
	s.Recent = nil
	return s
}

// knows reports whether a command of fingerprint fp is remembered.
func (h Handled) knows(fp int64) bool {
	return slices.ContainsFunc(h.Accepted, func(a AcceptedCommand) bool { return a.Fingerprint == fp }) ||
		slices.ContainsFunc(h.Rejected, func(r RejectedCommand) bool { return r.Fingerprint == fp })
}
