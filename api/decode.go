package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/internal/domain"
)

var errMediaType = errors.New("unsupported media type")

// readJSON reads the request body, which must be JSON (or empty when allowEmpty).
func readJSON(c *gin.Context, allowEmpty bool) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return nil, err // a MaxBytesError becomes 413
	}
	if len(bytes.TrimSpace(body)) == 0 && allowEmpty {
		return nil, nil
	}
	ct := c.GetHeader("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, errMediaType
	}
	return body, nil
}

// decodeJSON reads a JSON object into v strictly: unknown fields and wrong types
// are validation errors naming the field.
func decodeJSON(c *gin.Context, v any) error {
	body, err := readJSON(c, false)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Detail: "must be one JSON object"}}}
	}
	return nil
}

func jsonProblem(err error) error {
	v := &domain.ValidationError{}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		v.Add(field, "wrong type: want "+typeErr.Type.String())
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		v.Add("body", "is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		v.Add(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		v.Add("body", err.Error())
	}
	return v
}
