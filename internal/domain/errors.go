package domain

import (
	"errors"
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
		return "输入有误"
	}
	return e.Fields[0].Field + "：" + e.Fields[0].Detail
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

// Text trims *s, turns CRLF line ends into LF, and checks it: present when
// required, text PostgreSQL can store (TextProblem), at most max characters.
func (e *ValidationError) Text(field string, s *string, required bool, max int) {
	*s = CleanText(*s)
	switch {
	case required && *s == "":
		e.Add(field, MsgRequired)
	case TextProblem(*s) != "":
		e.Add(field, TextProblem(*s))
	case utf8.RuneCountInString(*s) > max:
		e.Add(field, MsgAtMost(max))
	}
}

// TextProblem says why s cannot be taken as text, or "" when it can: invalid
// UTF-8 and U+FFFD (what a JSON decoder makes of invalid bytes and lone
// surrogates), NUL, which PostgreSQL cannot store, and control characters
// other than tab and newline.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return MsgEncoding
	}
	for _, r := range s {
		switch {
		case r == 0:
			return MsgNUL
		case r == '\t' || r == '\n':
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return MsgControl
		case r == utf8.RuneError:
			return MsgEncoding
		}
	}
	return ""
}
