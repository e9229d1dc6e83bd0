package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
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

// titles are the problem types as an official reads them.
var titles = map[string]string{
	TypeValidation:   "输入有误",
	TypeUnauthorized: "需要身份认证",
	TypeForbidden:    "无权操作",
	TypeNotFound:     "未找到",
	TypeConflict:     "与当前状态冲突",
	TypeTooLarge:     "请求内容过大",
	TypeMediaType:    "不支持的内容类型",
	TypeMethod:       "不支持的请求方法",
	TypeUnavailable:  "服务暂时不可用",
	TypeInternal:     "服务器内部错误",
}

// RetryAfter is how many seconds a client waits before trying again after a 503.
const RetryAfter = "5"

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

// fail maps an error to its problem: domain sentinels to 4xx, data the
// database refuses to 422, the database out of reach to 503; anything else is
// logged and answered with a bare 500 that tells nothing of the inside.
func fail(c *gin.Context, err error) {
	var v *domain.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &v):
		problem(c, http.StatusUnprocessableEntity, TypeValidation, v.Error(), v.Fields...)
	case errors.Is(err, errMediaType):
		problem(c, http.StatusUnsupportedMediaType, TypeMediaType, "请以 Content-Type: application/json 发送")
	case errors.As(err, &mbe):
		problem(c, http.StatusRequestEntityTooLarge, TypeTooLarge, "请求内容超过 1 MiB 上限")
	case errors.Is(err, domain.ErrUnauthorized):
		problem(c, http.StatusUnauthorized, TypeUnauthorized, "需要有效的身份令牌（Bearer token）")
	case errors.Is(err, domain.ErrForbidden):
		problem(c, http.StatusForbidden, TypeForbidden, "您的角色无权进行此操作")
	case errors.Is(err, domain.ErrNotFound):
		problem(c, http.StatusNotFound, TypeNotFound, "没有这项记录")
	case errors.Is(err, domain.ErrConflict):
		problem(c, http.StatusConflict, TypeConflict, conflictDetail(err))
	case c.Request.Context().Err() != nil:
		// The client went away or the server is shutting down: not a failure of ours.
		slog.InfoContext(c.Request.Context(), "request cancelled", "request_id", requestID(c), "path", c.Request.URL.Path)
		retryLater(c, "请求已取消，请重试")
	case store.Unavailable(err):
		logError(c, err)
		retryLater(c, "数据库暂时无法访问，请稍后重试")
	case store.Rejected(err):
		problem(c, http.StatusUnprocessableEntity, TypeValidation, "数据无法保存：含有数据库不能接受的内容",
			domain.FieldError{Field: "body", Detail: "含有数据库不能接受的内容"})
	default:
		logError(c, err)
		problem(c, http.StatusInternalServerError, TypeInternal, "服务器未能完成请求，已记录")
	}
}

// conflictDetail is the words of a conflict: the domain's, without the sentinel's prefix.
func conflictDetail(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, domain.ErrConflict.Error()+": "); i >= 0 {
		return msg[i+len(domain.ErrConflict.Error())+2:]
	}
	return "与当前状态冲突"
}

// retryLater answers 503 with Retry-After: try again shortly.
func retryLater(c *gin.Context, detail string) {
	c.Header("Retry-After", RetryAfter)
	problem(c, http.StatusServiceUnavailable, TypeUnavailable, detail)
}

type problemRender struct{ p Problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonRender(w, r.p)
}

func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", ProblemContentType)
}
