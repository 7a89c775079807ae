//go:build race

package runner

// raceTimeoutFactor stretches the profile's timeouts under the race detector (go test -race, as
// make test runs it): it slows bcrypt, which the reference server runs on every login and every
// secret check, about tenfold, so an honest answer can take seconds.
const raceTimeoutFactor = 3
