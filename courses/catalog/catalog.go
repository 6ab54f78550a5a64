// Package catalog embeds the course folders that ship with Raadzaam. Each
// folder is a course in the format of courses/FORMAT.md; serve loads them
// into an empty database.
package catalog

import "embed"

// FS holds one folder per course at its root.
//
//go:embed *
var FS embed.FS
