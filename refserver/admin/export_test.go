package admin

// SeededDBPath is the database TestMain seeded, for the external tests of this directory
// (browser_test.go) to copy instead of hashing the seed again.
func SeededDBPath() string { return seededDB }
