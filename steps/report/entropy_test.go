package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/entropy"
)

// TestEntropyInJSONAndHTML: the token entropy estimates (RFC 6749 10.10) and their warnings
// reach conformance.json and report.html (tokens, issue 17 item 9).
func TestEntropyInJSONAndHTML(t *testing.T) {
	data := cuke(t, cukeScenario{name: "passes", line: 3, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed"}})
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	counter := make([]string, 20)
	for i := range counter {
		counter[i] = fmt.Sprintf("tok-%06d", i)
	}
	r.Entropy = []entropy.Estimate{entropy.Estimated(entropy.AccessToken, counter)}
	if r.Entropy[0].Warning == "" {
		t.Fatal("a counter got no warning")
	}
	var js, html bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entropy []entropy.Estimate `json:"entropy"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Entropy) != 1 || doc.Entropy[0].Kind != entropy.AccessToken || doc.Entropy[0].Warning == "" || doc.Entropy[0].Method == "" {
		t.Errorf("conformance.json entropy = %+v", doc.Entropy)
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<tr class="entropy"><td>access token</td><td>20</td>`, "WARNING: the access tokens sampled (20)", "Method: per-position estimate"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
