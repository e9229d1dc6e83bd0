package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/internal/domain"
)

// ProblemContentType is RFC 9457's media type.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document, plus one entry per invalid field.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
	Checks   map[string]string   `json:"checks,omitempty"`
}

// Stable problem types.
const (
	TypeValidation   = "urn:zeren:problem:validation"
	TypeUnauthorized = "urn:zeren:problem:unauthorized"
	TypeForbidden    = "urn:zeren:problem:forbidden"
	TypeNotFound     = "urn:zeren:problem:not-found"
	TypeConflict     = "urn:zeren:problem:conflict"
	TypeTooLarge     = "urn:zeren:problem:body-too-large"
	TypeMediaType    = "urn:zeren:problem:unsupported-media-type"
	TypeMethod       = "urn:zeren:problem:method-not-allowed"
	TypeUnavailable  = "urn:zeren:problem:unavailable"
	TypeInternal     = "urn:zeren:problem:internal"
)

var titles = map[string]string{
	TypeValidation:   "Invalid input",
	TypeUnauthorized: "Authentication required",
	TypeForbidden:    "Not allowed",
	TypeNotFound:     "Not found",
	TypeConflict:     "Conflict",
	TypeTooLarge:     "Request body too large",
	TypeMediaType:    "Unsupported media type",
	TypeMethod:       "Method not allowed",
	TypeUnavailable:  "Service unavailable",
	TypeInternal:     "Internal error",
}

// problem writes a problem document and stops the chain.
func problem(c *gin.Context, status int, typ, detail string, fields ...domain.FieldError) {
	p := Problem{Type: typ, Title: titles[typ], Status: status, Detail: detail, Instance: requestID(c), Errors: fields}
	writeProblem(c, p)
}

func writeProblem(c *gin.Context, p Problem) {
	if p.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="zeren"`)
	}
	c.Abort()
	c.Render(p.Status, problemRender{p})
}

// fail maps an error to its problem: domain sentinels to 4xx, anything else is
// logged and answered with a bare 500 that tells nothing of the inside.
func fail(c *gin.Context, err error) {
	var v *domain.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &v):
		problem(c, http.StatusUnprocessableEntity, TypeValidation, v.Error(), v.Fields...)
	case errors.Is(err, errMediaType):
		problem(c, http.StatusUnsupportedMediaType, TypeMediaType, "send Content-Type: application/json")
	case errors.As(err, &mbe):
		problem(c, http.StatusRequestEntityTooLarge, TypeTooLarge, "the body is over the 1 MiB limit")
	case errors.Is(err, domain.ErrUnauthorized):
		problem(c, http.StatusUnauthorized, TypeUnauthorized, "a valid bearer token is required")
	case errors.Is(err, domain.ErrForbidden):
		problem(c, http.StatusForbidden, TypeForbidden, "your roles do not allow this action")
	case errors.Is(err, domain.ErrNotFound):
		problem(c, http.StatusNotFound, TypeNotFound, "no such resource")
	case errors.Is(err, domain.ErrConflict):
		problem(c, http.StatusConflict, TypeConflict, err.Error())
	default:
		slog.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "path", c.Request.URL.Path, "error", err)
		problem(c, http.StatusInternalServerError, TypeInternal, "the server could not complete the request; it has been logged")
	}
}

type problemRender struct{ p Problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonRender(w, r.p)
}

func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", ProblemContentType)
}
