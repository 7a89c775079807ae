package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver"
)

func TestServeQuirkFlags(t *testing.T) {
	o, err := parseServeFlags([]string{"--quirk", "code-reusable", "--quirk", "state-not-echoed"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Quirks, ",") != "code-reusable,state-not-echoed" {
		t.Fatalf("expected both quirks in order, got %v", o.Quirks)
	}
	if o, err := parseServeFlags(nil, io.Discard); err != nil || len(o.Quirks) != 0 {
		t.Fatalf("without --quirk: expected no quirk, got %v (%v)", o, err)
	}
	_, err = parseServeFlags([]string{"--quirk", "no-such-quirk"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"no-such-quirk" is not a known quirk`) || !strings.Contains(err.Error(), "code-reusable") {
		t.Fatalf("expected an error naming the unknown quirk and the known ones, got %v", err)
	}
}

func TestListQuirksNamesEveryQuirk(t *testing.T) {
	var b bytes.Buffer
	listQuirks(&b)
	for _, q := range refserver.KnownQuirks() {
		if !strings.Contains(b.String(), string(q.Name)+" ") || !strings.Contains(b.String(), q.Description) {
			t.Errorf("--list-quirks lacks %s and its description", q.Name)
		}
	}
}
