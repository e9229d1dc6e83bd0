package store

import (
	"database/sql/driver"
	"fmt"
)

// JSON is a json/jsonb column that may be NULL; it marshals as the raw document (or null).
type JSON []byte

// Scan reads the column; NULL becomes an empty value.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("json column: cannot scan %T", src)
	}
	return nil
}

// Value writes the document, or NULL when empty.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return nil, nil
	}
	return string(j), nil
}

// MarshalJSON writes the raw document.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps the raw document; null becomes an empty value, as a
// NULL column does.
func (j *JSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*j = nil
		return nil
	}
	*j = append((*j)[:0], b...)
	return nil
}
