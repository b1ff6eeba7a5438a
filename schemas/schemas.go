// Package schemas embeds the contracts other people depend on: the JSON
// Schema of every topic's message and the ClickHouse DDL as numbered
// migrations, so every binary validates and migrates against the same files
// that are reviewed in this directory.
package schemas

import "embed"

// FS holds *.json (topic schemas) and migrations/*.sql (ClickHouse DDL,
// applied in file-name order).
//
//go:embed *.json migrations/*.sql
var FS embed.FS
