//go:build race

package e2e

// raceEnabled builds orderd with -race when the tests run with -race.
const raceEnabled = true
