// Package devtools serves what helps integrators build against the server: the OpenAPI
// description of the mobile API, and the browser simulator in sandbox mode.
package devtools

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/docs"
)

// OpenAPI answers GET /docs/openapi.yaml with the embedded description of the mobile API.
func OpenAPI(c *gin.Context) {
	// Public and read-only, so API tools on other origins (Swagger Editor, Postman) may load it.
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", []byte(docs.OpenAPI()))
}
