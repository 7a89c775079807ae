//go:build !race

package selftest

// raceEnabled: the test binary was built with -race.
const raceEnabled = false
