package runner

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// Listing is what `oauthconf run --list` shows: for the selected scenarios, which would run
// against the target and which would not, with the reason, and the target's capabilities.
type Listing struct {
	Target       string
	Capabilities []ListedCapability
	Scenarios    []ListedScenario
}

// ListedCapability is a capability tag and whether the target has it.
type ListedCapability struct {
	Tag       string
	Supported bool
	Reason    string
}

// ListedScenario is one selected scenario (an outline row counts as one).
type ListedScenario struct {
	Location string // features file and line
	file     string
	line     int
	Name     string
	Runs     bool
	// Reason says why it would not run (the capability the target lacks).
	Reason string
}

// Counts returns how many scenarios would run and how many would not.
func (l *Listing) Counts() (run, notRun int) {
	for _, s := range l.Scenarios {
		if s.Runs {
			run++
		} else {
			notRun++
		}
	}
	return run, notRun
}

// list works out, without running anything, which scenarios apply to the target. It asks the
// same question the scenarios' Before hook asks (Profile.Supports for each tag), so the listing
// and a run agree.
func list(suite godog.TestSuite, p *profile.Profile) (*Listing, error) {
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("reading the features: %w", err)
	}
	l := &Listing{Target: fmt.Sprintf("%s (%s)", p.Name, p.Issuer)}
	for _, tag := range profile.CapabilityTags() {
		ok, why := p.Supports(tag)
		l.Capabilities = append(l.Capabilities, ListedCapability{Tag: tag, Supported: ok, Reason: why})
	}
	for _, f := range feats {
		for _, pk := range f.Pickles {
			s := ListedScenario{Name: pk.Name, Location: pk.Uri, file: pk.Uri, Runs: true}
			if len(pk.AstNodeIds) > 0 {
				if sc := f.FindScenario(pk.AstNodeIds[0]); sc != nil && sc.Location != nil {
					s.line = int(sc.Location.Line)
				}
			}
			if len(pk.AstNodeIds) > 1 {
				if _, row := f.FindExample(pk.AstNodeIds[1]); row != nil && row.Location != nil {
					s.line = int(row.Location.Line) // an outline row: its line in the Examples table
				}
			}
			if s.line > 0 {
				s.Location = fmt.Sprintf("%s:%d", pk.Uri, s.line)
			}
			for _, t := range pk.Tags {
				if ok, why := p.Supports(t.Name); !ok {
					s.Runs, s.Reason = false, fmt.Sprintf("%s: %s", t.Name, why)
					break
				}
			}
			l.Scenarios = append(l.Scenarios, s)
		}
	}
	slices.SortStableFunc(l.Scenarios, func(a, b ListedScenario) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return cmp.Compare(a.line, b.line)
	})
	return l, nil
}

// Print writes the listing for a person.
func (l *Listing) Print(out io.Writer) {
	fmt.Fprintf(out, "\ncapabilities of %s:\n", l.Target)
	for _, c := range l.Capabilities {
		if c.Supported {
			fmt.Fprintf(out, "  yes  @%s\n", c.Tag)
		} else {
			fmt.Fprintf(out, "  no   @%s: %s\n", c.Tag, c.Reason)
		}
	}
	run, notRun := l.Counts()
	fmt.Fprintf(out, "\nwould run (%d):\n", run)
	for _, s := range l.Scenarios {
		if s.Runs {
			fmt.Fprintf(out, "  %s %s\n", s.Location, s.Name)
		}
	}
	fmt.Fprintf(out, "\nwould not run, not applicable to this target (%d):\n", notRun)
	for _, s := range l.Scenarios {
		if !s.Runs {
			fmt.Fprintf(out, "  %s %s\n      needs %s\n", s.Location, s.Name, s.Reason)
		}
	}
	fmt.Fprintf(out, "\n%d scenarios selected: %d would run, %d not applicable (nothing was run)\n", run+notRun, run, notRun)
}
