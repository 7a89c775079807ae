//go:build !race

package launch

const raceFactor = 1
