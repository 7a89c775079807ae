//go:build race

package runner

// raceTimeoutFactor stretches the profile's timeouts when the harness itself is built with the
// race detector (go test -race): it slows bcrypt, which the reference server runs on every
// login and every secret check, about tenfold, so an honest answer can take seconds.
const raceTimeoutFactor = 3
