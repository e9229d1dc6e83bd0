package domain

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// DecodeJSON reads one JSON value into v strictly — unknown fields, wrong
// types, values a type refuses, trailing data — and answers a ValidationError
// that names the JSON path of the bad field (policy.report.ladder[2].points)
// and says in plain words what is expected.
func DecodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fieldError("body", MsgNotJSON)
		}
		path, detail := Blame(raw, reflect.TypeOf(v), "")
		if path == "" {
			path = "body"
		}
		return fieldError(path, detail)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fieldError("body", MsgOneJSONObject)
	}
	return nil
}

// DecodeField reads one field's JSON into dst, or records on v what is wrong
// with it under the field's path.
func DecodeField(v *ValidationError, path string, raw []byte, dst any) {
	if err := DecodeJSON(raw, dst); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				v.Add(joinPath(path, strings.TrimPrefix(f.Field, "body")), f.Detail)
			}
			return
		}
		v.Add(path, err.Error())
	}
}

func fieldError(field, detail string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Detail: detail}}}
}

var (
	typeTime            = reflect.TypeOf(time.Time{})
	typeOffset          = reflect.TypeOf(Offset(0))
	typeUnmarshaler     = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	typeTextUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	typeRawMessage      = reflect.TypeOf(json.RawMessage(nil))
)

// Blame finds the first field of raw that does not decode into t, walking
// objects by their JSON names and arrays by index, and says what that field
// should be. It answers ("", "") when raw decodes.
func Blame(raw []byte, t reflect.Type, path string) (string, string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == typeRawMessage {
		return "", ""
	}
	err := strictUnmarshal(raw, t)
	if err == nil {
		return "", ""
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", ""
	}
	custom := reflect.PointerTo(t).Implements(typeUnmarshaler) || reflect.PointerTo(t).Implements(typeTextUnmarshaler)
	if !custom {
		switch t.Kind() {
		case reflect.Struct, reflect.Map:
			var obj map[string]json.RawMessage
			if json.Unmarshal(raw, &obj) != nil {
				return path, expected(t, err)
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				var ft reflect.Type
				if t.Kind() == reflect.Map {
					ft = t.Elem()
				} else if f, ok := fieldByJSONName(t, k); ok {
					ft = f.Type
				} else {
					return joinPath(path, k), MsgUnknownField
				}
				if p, d := Blame(obj[k], ft, joinPath(path, k)); p != "" || d != "" {
					return p, d
				}
			}
		case reflect.Slice, reflect.Array:
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil {
				return path, expected(t, err)
			}
			for i, item := range items {
				if p, d := Blame(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" || d != "" {
					return p, d
				}
			}
		}
	}
	return path, expected(t, err)
}

func strictUnmarshal(raw []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(reflect.New(t).Interface())
}

// fieldByJSONName finds the struct field (embedded structs included) that
// encoding/json fills from key.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if inner, ok := fieldByJSONName(ft, key); ok {
					return inner, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key || strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// expected says in plain words what a value of type t looks like; a domain
// type that refuses a value with a message of its own keeps it.
func expected(t reflect.Type, err error) string {
	switch t {
	case typeTime:
		return MsgTime
	case typeOffset:
		return MsgOffset
	}
	var plain *PlainError
	if errors.As(err, &plain) {
		return plain.Msg
	}
	switch t.Kind() {
	case reflect.String:
		return MsgString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return MsgInteger
	case reflect.Float32, reflect.Float64:
		return MsgNumber
	case reflect.Bool:
		return MsgBool
	case reflect.Struct, reflect.Map:
		return MsgObject
	case reflect.Slice, reflect.Array:
		return MsgArray
	}
	return "格式不对"
}

// PlainError is a refusal whose message an official can read as it is.
type PlainError struct{ Msg string }

func (e *PlainError) Error() string { return e.Msg }

func joinPath(path, key string) string {
	key = strings.TrimPrefix(key, ".")
	switch {
	case path == "":
		return key
	case key == "":
		return path
	case strings.HasPrefix(key, "["):
		return path + key
	}
	return path + "." + key
}
