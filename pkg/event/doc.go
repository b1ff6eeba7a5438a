// Package event holds the messages that cross service boundaries: the article
// that ingest publishes on articles.raw.v1, the tags the tagger produces, and
// the enriched article the enricher publishes on articles.enriched.v1. The
// JSON field names are the contract in schemas/; change them only with a new
// topic version.
package event
