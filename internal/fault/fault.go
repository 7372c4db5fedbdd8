// Package fault is fixgate's one error type: every error that crosses a
// package boundary towards a user carries a Code, a message a person can act
// on, and (for bad input) the field at fault.
package fault

import (
	"errors"
	"fmt"
)

// Code classifies an error. The API maps each code to one HTTP status
// (internal/api/errors.go); the CLI maps them to exit code 2.
type Code string

const (
	Invalid            Code = "invalid"
	Unauthorized       Code = "unauthorized"
	Forbidden          Code = "forbidden"
	NotFound           Code = "not_found"
	MethodNotAllowed   Code = "method_not_allowed"
	Conflict           Code = "conflict"
	PreconditionFailed Code = "precondition_failed"
	TooLarge           Code = "too_large"
	Unavailable        Code = "unavailable"
	Internal           Code = "internal"
)

// Error is a classified error. Field names the input at fault (JSON name,
// dotted for nested fields); Extra carries machine-readable detail such as
// the current state and the allowed moves of a refused transition.
type Error struct {
	Code    Code
	Message string
	Field   string
	Extra   map[string]any
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error naming the field at fault.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Because sets err as e's cause (kept for errors.Is/As and the logs) and returns e.
func (e *Error) Because(err error) *Error {
	e.Err = err
	return e
}

// In returns err as the error of entry i of a batch named field: a coded
// error keeps its code, extra and cause, with its message prefixed "entry
// i: " (and its own field, when it names another); any other error is
// wrapped with %w, so the store still classifies it by its driver code.
func In(field string, i int, err error) error {
	fe := As(err)
	if fe == nil {
		return fmt.Errorf("%s entry %d: %w", field, i, err)
	}
	msg := fe.Message
	if fe.Field != "" && fe.Field != field {
		msg = fe.Field + ": " + msg
	}
	return &Error{Code: fe.Code, Field: field, Message: fmt.Sprintf("entry %d: %s", i, msg), Extra: fe.Extra, Err: fe.Err}
}

// NotFoundf returns a NotFound error.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// Conflictf returns a Conflict error.
func Conflictf(format string, args ...any) *Error { return New(Conflict, format, args...) }

// Forbiddenf returns a Forbidden error.
func Forbiddenf(format string, args ...any) *Error { return New(Forbidden, format, args...) }

// Refused returns a Forbidden error naming the rule that refused the request
// (Extra["rule"], e.g. "separation_of_duties"); the API audits it (RuleOf).
func Refused(rule, format string, args ...any) *Error {
	e := New(Forbidden, format, args...)
	e.Extra = map[string]any{"rule": rule}
	return e
}

// RuleOf returns the rule named by a Forbidden error, "forbidden" when it
// names none, and "" for other errors.
func RuleOf(err error) string {
	fe := As(err)
	if fe == nil || fe.Code != Forbidden {
		return ""
	}
	if r, ok := fe.Extra["rule"].(string); ok && r != "" {
		return r
	}
	return "forbidden"
}

// Wrap classifies err as Internal unless it already carries a code.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	return &Error{Code: Internal, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of err, Internal for unclassified errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return Internal
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}
