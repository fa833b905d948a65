package order

import (
	"errors"
	"fmt"
)

// Code is a stable rejection code; callers branch on it and it reaches the
// command's sender unchanged (CommandResult.code, HTTP 422 body).
type Code string

// The rejection codes.
const (
	// CodeOrderNotFound: the command names an order that was never created.
	CodeOrderNotFound Code = "ORDER_NOT_FOUND"
	// CodeOrderAlreadyExists: CreateOrder for an id that is taken.
	CodeOrderAlreadyExists Code = "ORDER_ALREADY_EXISTS"
	// CodeInvalidTransition: the command is not allowed in the order's status.
	CodeInvalidTransition Code = "INVALID_TRANSITION"
	// CodeVersionConflict: expectedVersion differs from the order's version.
	CodeVersionConflict Code = "VERSION_CONFLICT"
	// CodeValidationFailed: a field of the command is missing or malformed.
	CodeValidationFailed Code = "VALIDATION_FAILED"
	// CodePreconditionFailed: the order lacks something the command needs
	// (an item, shipping details, a reservation, a payment).
	CodePreconditionFailed Code = "PRECONDITION_FAILED"
	// CodeLimitExceeded: an amount is above what the order allows (discount
	// above subtotal, capture above authorization, refund above capture), a
	// list of the order is full, the order's state would outgrow its budget
	// (Policy.MaxStateBytes), or the processor's output would not fit into
	// a Kafka record (LimitRejection).
	CodeLimitExceeded Code = "LIMIT_EXCEEDED"
	// CodeApprovalRequired: fulfillment waits for ApproveOrder.
	CodeApprovalRequired Code = "APPROVAL_REQUIRED"
	// CodeDuplicateCommand: the command id was already applied (see Duplicate).
	CodeDuplicateCommand Code = "DUPLICATE_COMMAND"
)

// Rejection is a business refusal of a command: nothing was emitted.
type Rejection struct {
	Code    Code
	Message string
	// Field names the command field at fault, as a JSON path ("data.items[1].quantity"), if any.
	Field string
}

func (r *Rejection) Error() string {
	if r.Field != "" {
		return fmt.Sprintf("%s: %s: %s", r.Code, r.Field, r.Message)
	}
	return fmt.Sprintf("%s: %s", r.Code, r.Message)
}

// Duplicate answers a command whose id the order already handled. It carries
// the original outcome; nothing new is emitted. For a command that was
// accepted, Version and EventIDs are the original ones; for one that was
// rejected (remembered by Handle), Rejection is the original rejection,
// which errors.As finds through Unwrap, and Version the order's version when
// it was rejected.
type Duplicate struct {
	CommandID string
	// Version is the order version right after the original command.
	Version  int64
	EventIDs []string
	// Rejection is the original rejection of a command that was rejected.
	Rejection *Rejection
}

func (d *Duplicate) Error() string {
	if d.Rejection != nil {
		return fmt.Sprintf("command %s was already rejected at version %d: %v", quoteShort(d.CommandID), d.Version, d.Rejection)
	}
	return fmt.Sprintf("%s: command %s was already applied at version %d", CodeDuplicateCommand, quoteShort(d.CommandID), d.Version)
}

// Unwrap returns the original rejection of a command that was rejected.
func (d *Duplicate) Unwrap() error {
	if d.Rejection == nil {
		return nil
	}
	return d.Rejection
}

// CodeOf returns the rejection code of err, or "" if err is not a rejection.
func CodeOf(err error) Code {
	var r *Rejection
	if errors.As(err, &r) {
		return r.Code
	}
	var d *Duplicate
	if errors.As(err, &d) {
		return CodeDuplicateCommand
	}
	return ""
}

func reject(code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *Rejection {
	return &Rejection{Code: CodeValidationFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

func precondition(format string, args ...any) *Rejection {
	return reject(CodePreconditionFailed, format, args...)
}

func overLimit(field, format string, args ...any) *Rejection {
	return &Rejection{Code: CodeLimitExceeded, Field: field, Message: fmt.Sprintf(format, args...)}
}
