package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
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

// decodeJSON reads a JSON object into v strictly: unknown fields, wrong types
// and values a type refuses are validation errors naming the field's JSON path
// and saying in plain words what is expected.
func decodeJSON(c *gin.Context, v any) error {
	body, err := readJSON(c, false)
	if err != nil {
		return err
	}
	return domain.DecodeJSON(body, v)
}
