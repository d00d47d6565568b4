// Package docs embeds the documents the server publishes about itself.
package docs

import _ "embed"

//go:embed openapi.yaml
var openAPI string

// OpenAPI is docs/openapi.yaml, the OpenAPI 3.1 description of the mobile API.
func OpenAPI() string { return openAPI }
