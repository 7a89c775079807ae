// Package features holds the conformance scenarios (Gherkin), embedded so that the oauthconf
// binary runs them from any directory.
package features

import "embed"

// FS holds every *.feature file of this folder, at its root.
//
//go:embed *.feature
var FS embed.FS
