package throttle_test

import (
	"testing"

	"github.com/oauthconf/oauthconf/refserver/throttle"
	"github.com/oauthconf/oauthconf/refserver/throttle/throttletest"
)

// The limiter's rules through the in-process Counter (refserver/store runs the same contract
// through the database's).
func TestMemoryCounter(t *testing.T) {
	throttletest.Contract(t, func(_ *testing.T, cfg throttle.Config) throttle.Counter { return throttle.NewMemory(cfg) })
}
