package mobile

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
)

// Handler serves the mini-program API.
type Handler struct {
	accounts *account.Service
}

// New builds the handler over the account rules.
func New(accounts *account.Service) *Handler {
	return &Handler{accounts: accounts}
}

// readJSON decodes the request body into v, answering 400/413 itself when it cannot.
func readJSON(c *gin.Context, v any) bool {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		badRequest(c, http.StatusUnsupportedMediaType, "invalid_body", "body_wrong_type")
		return false
	}
	dec := json.NewDecoder(c.Request.Body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			badRequest(c, http.StatusRequestEntityTooLarge, "body_too_large", "body_too_large")
		case errors.Is(err, io.EOF):
			badRequest(c, http.StatusBadRequest, "invalid_body", "body_empty")
		default:
			badRequest(c, http.StatusBadRequest, "invalid_body", "body_not_json")
		}
		return false
	}
	return true
}

// trimmed returns s without surrounding spaces, which a login form adds by accident.
func trimmed(s string) string { return strings.TrimSpace(s) }
