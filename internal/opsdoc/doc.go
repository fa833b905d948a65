// Package opsdoc holds no code: its test keeps docs/operations.md and
// deploy/grafana-dashboard.json in step with the metrics orderd registers
// and the settings it reads.
package opsdoc
