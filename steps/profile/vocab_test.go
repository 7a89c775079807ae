package profile

import (
	"strings"
	"testing"
)

func TestUnknownTagIsNotSupported(t *testing.T) {
	p := &Profile{}
	for _, tag := range []string{"@grant-passwrd", "@MUSt", "@RFC6749", "@warn"} {
		if err := CheckTag(tag); err == nil || !strings.Contains(err.Error(), tag) {
			t.Errorf("CheckTag(%q) = %v, want an error naming it", tag, err)
		}
		if ok, why := p.Supports(tag); ok || !strings.Contains(why, "unknown tag "+tag) {
			t.Errorf("Supports(%q) = %v, %q; want unsupported naming the unknown tag", tag, ok, why)
		}
	}
	for _, tag := range []string{"@grant-password", "@MUST", "@SHOULD", "@MAY", "@warning", "@user-token", "@product", "@RFC6749-4.1.2.1", "@RFC9700-2.1"} {
		if err := CheckTag(tag); err != nil {
			t.Errorf("CheckTag(%q): %v", tag, err)
		}
	}
	for _, tag := range []string{"@MUST", "@warning", "@RFC6749-4.1.2.1"} {
		if ok, why := p.Supports(tag); !ok {
			t.Errorf("Supports(%q) = false, %q", tag, why)
		}
	}
}

// Every capability of the table has its own rule in Supports, and every entry says what it means.
func TestEveryCapabilityHasARule(t *testing.T) {
	p := &Profile{}
	seen := map[string]bool{}
	for _, table := range [][]Word{CapabilityTable, MarkerTable, LevelTable} {
		for _, w := range table {
			if w.Meaning == "" || seen[w.Name] {
				t.Errorf("%q: empty meaning or listed twice", w.Name)
			}
			seen[w.Name] = true
		}
	}
	for _, c := range CapabilityTags() {
		if _, why := p.Supports(c); strings.Contains(why, "has no rule") {
			t.Error(why)
		}
	}
}
