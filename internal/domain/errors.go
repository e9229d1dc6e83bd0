package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Sentinel errors that the API maps to problem+json responses.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
)

// FieldError names one invalid input field by its JSON name.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// ValidationError is input that fails its rules; nothing was written.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return "invalid input"
	}
	return "invalid " + e.Fields[0].Field + ": " + e.Fields[0].Detail
}

// Add records one invalid field.
func (e *ValidationError) Add(field, detail string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Detail: detail})
}

// Err returns the error when it holds any field, else nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Sort orders the fields by name, so answers are stable.
func (e *ValidationError) Sort() {
	slices.SortFunc(e.Fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
}

// Text trims *s and checks it: present when required, valid UTF-8, at most max characters.
func (e *ValidationError) Text(field string, s *string, required bool, max int) {
	*s = strings.TrimSpace(*s)
	switch {
	case required && *s == "":
		e.Add(field, "required")
	case !utf8.ValidString(*s):
		e.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(*s) > max:
		e.Add(field, fmt.Sprintf("at most %d characters", max))
	}
}
