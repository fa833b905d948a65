// Package schemas holds orderlog's Avro schemas and encodes and decodes the
// records on its topics: events, commands, command results and order states.
//
// The .avsc files in avro/ are generated from the Go types of package order
// (a field is named once, by its json tag) and embedded; avro/history/<kind>/
// keeps every released version, newest last. A test fails when a Go type
// changes without its schema, or the schema without a new history entry.
//
// Framing: with a schema registry (WithRegistry), values are written in the
// Confluent wire format (magic 0, 4-byte schema id); without one, as Avro
// single-object encoding (0xC3 0x01 + CRC-64-AVRO fingerprint). Readers
// accept both, and any released version: goavro has no reader/writer schema
// resolution, so a value is decoded with the schema it was written with and
// internal/avrostruct maps it into today's Go type, tolerating added and
// removed fields.
//
// Commands may also arrive as JSON (ParseCommandJSON, DecodeCommand), so an
// operator can send one with kcat.
package schemas
