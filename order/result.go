package order

import (
	"errors"
	"strings"
	"time"
)

// ResultStatus is the outcome of a command.
type ResultStatus string

// The outcomes.
const (
	ResultAccepted  ResultStatus = "ACCEPTED"
	ResultRejected  ResultStatus = "REJECTED"
	ResultDuplicate ResultStatus = "DUPLICATE"
)

// CommandResult answers one command on order.command-results: accepted with
// the version and event ids it produced, rejected with a code and message, or
// duplicate with the original version and event ids.
type CommandResult struct {
	CommandID     string       `json:"commandId"`
	OrderID       string       `json:"orderId"`
	CommandType   CommandType  `json:"commandType"`
	Status        ResultStatus `json:"status"`
	Code          Code         `json:"code,omitempty"`
	Message       string       `json:"message,omitempty"`
	Field         string       `json:"field,omitempty"`
	Version       int64        `json:"version"`
	EventIDs      []string     `json:"eventIds"`
	CorrelationID string       `json:"correlationId,omitempty"`
	Time          time.Time    `json:"timestamp"`
}

// ResultOf builds the result of deciding c on a state at version, from what
// Decide returned. A non-business error (neither *Rejection nor *Duplicate)
// becomes a rejection with code VALIDATION_FAILED and its text. A
// *Duplicate of an accepted command is DUPLICATE with the original version
// and event ids; one of a rejected command is REJECTED again, with the
// original code, field, message and version.
//
// A result carries the command's commandId, orderId and correlationId as
// they came, even when they break the limits: they are what the sender
// matches the answer with, and they came in a record that fit into Kafka.
// Nothing else is copied unbounded: the message is cut to MaxMessageLen
// bytes (at a character boundary, ending in "…"), the field to
// MaxFieldLen, an unknown command type to MaxIDLen.
func ResultOf(c Command, version int64, events []Event, err error) CommandResult {
	r := CommandResult{CommandID: c.ID, OrderID: c.OrderID, CommandType: CommandType(truncate(string(c.Type), MaxIDLen)),
		Version: version, CorrelationID: c.CorrelationID, Time: c.Time}
	var rej *Rejection
	var dup *Duplicate
	switch {
	case err == nil:
		r.Status = ResultAccepted
		r.EventIDs = make([]string, len(events))
		for i, e := range events {
			r.EventIDs[i] = e.ID
		}
		if n := len(events); n > 0 {
			r.Version = events[n-1].Seq
		}
	case errors.As(err, &dup) && dup.Rejection == nil:
		r.Status, r.Code, r.Version, r.EventIDs = ResultDuplicate, CodeDuplicateCommand, dup.Version, dup.EventIDs
		// The code is in Code; the message says what happened, once.
		r.Message = truncate(strings.TrimPrefix(dup.Error(), string(CodeDuplicateCommand)+": "), MaxMessageLen)
	case errors.As(err, &rej): // a rejection, or a rejected command's duplicate
		r.Status, r.Code = ResultRejected, rej.Code
		r.Field, r.Message = truncate(rej.Field, MaxFieldLen), truncate(rej.Message, MaxMessageLen)
		if dup != nil {
			r.Version = dup.Version
		}
	default:
		r.Status, r.Code, r.Message = ResultRejected, CodeValidationFailed, truncate(err.Error(), MaxMessageLen)
	}
	return r
}

// LimitRejection is the result of a command the processor refuses itself
// because what it would write does not fit into Kafka (an event, the state
// or the result above the record limit): REJECTED with LIMIT_EXCEEDED, the
// message naming what is too large (what, cut to MaxMessageLen), at the
// version of st. The state stays as it was and the rejection is not
// remembered: a resend is decided again.
func LimitRejection(c Command, st State, what string) CommandResult {
	return ResultOf(c, st.Version, nil, &Rejection{Code: CodeLimitExceeded, Message: "too large for Kafka: " + what})
}
