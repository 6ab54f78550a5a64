package main

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

//go:embed openapi.json
var openapiJSON []byte

// loadOpenAPI checks that the embedded document is JSON and declares
// OpenAPI 3.1, and returns it compacted.
func loadOpenAPI() ([]byte, error) {
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		return nil, err
	}
	if doc.OpenAPI != "3.1.0" {
		return nil, fmt.Errorf("openapi: got version %q, want 3.1.0", doc.OpenAPI)
	}
	return openapiJSON, nil
}

// handleOpenAPI serves the OpenAPI 3.1 description of /api/v1.
func (a *application) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(a.openapi)
}
