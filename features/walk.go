package features

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// Scenario is one scenario of the feature files (an outline once, not per example row) with
// every tag that applies to it: its feature's, its rule's, its own and its examples'.
type Scenario struct {
	Path     string // the feature file, as in FS
	Scenario *messages.Scenario
	Tags     []string
}

// Walk parses every feature file of FS and returns its scenarios. The tests that audit the
// scenarios (quotes, levels, the security view's evidence) read them through it.
func Walk() ([]Scenario, error) {
	var out []Scenario
	n := 0
	newID := func() string { n++; return strconv.Itoa(n) }
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		f, err := FS.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := gherkin.ParseGherkinDocument(f, newID)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if doc.Feature == nil {
			return fmt.Errorf("%s: no feature", path)
		}
		add := func(sc *messages.Scenario, rule []*messages.Tag) {
			var tags []string
			for _, group := range [][]*messages.Tag{doc.Feature.Tags, rule, sc.Tags} {
				for _, tg := range group {
					tags = append(tags, tg.Name)
				}
			}
			for _, ex := range sc.Examples {
				for _, tg := range ex.Tags {
					tags = append(tags, tg.Name)
				}
			}
			out = append(out, Scenario{Path: path, Scenario: sc, Tags: tags})
		}
		for _, c := range doc.Feature.Children {
			switch {
			case c.Scenario != nil:
				add(c.Scenario, nil)
			case c.Rule != nil:
				for _, rc := range c.Rule.Children {
					if rc.Scenario != nil {
						add(rc.Scenario, c.Rule.Tags)
					}
				}
			}
		}
		return nil
	})
	return out, err
}
