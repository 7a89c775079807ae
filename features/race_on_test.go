//go:build race

package features_test

// raceDetector is true under go test -race (make test), where the whole suite takes minutes.
const raceDetector = true
