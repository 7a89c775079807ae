//go:build !race

package runner

const raceTimeoutFactor = 1
