//go:build race

package launch

// raceFactor stretches the embedded server's seeded lifetimes under the race detector, by as
// much as steps/runner stretches the profile's timeouts: bcrypt runs about ten times slower.
const raceFactor = 3
