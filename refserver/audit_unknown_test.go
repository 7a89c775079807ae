package refserver

import (
	"strings"
	"testing"
)

// Issue 16 item 7: a script with its fields swapped sends a secret as the client id. The audit
// log shows a client id that is no client's, failed or throttled, only as a fingerprint.
func TestAuditFingerprintsUnknownClientIDs(t *testing.T) {
	e, buf := newAuditEnv(t)
	const swapped = "cc-client-secret-as-id-0123456789"
	for i := 0; i < 25; i++ {
		e.token(swapped, ccID, ccForm)
	}
	if strings.Contains(buf.String(), swapped) {
		t.Fatalf("the audit log holds the made-up client id as sent:\n%s", buf.String())
	}
	lines := buf.lines(t)
	failed, throttled := find(lines, "client_authentication", "failed"), find(lines, "throttled", "denied")
	if len(failed) == 0 || len(throttled) == 0 {
		t.Fatalf("expected failed and throttled client authentications, got %d and %d:\n%s", len(failed), len(throttled), buf.String())
	}
	for _, l := range append(failed, throttled...) {
		if !strings.HasPrefix(l.s("client_id"), "unknown:") {
			t.Errorf("expected an unknown:<fingerprint> client_id, got %v", l)
		}
	}
	// A real client's id is logged as it is.
	e.token(ccID, "wrong", ccForm)
	if !strings.Contains(buf.String(), `"client_id":"`+ccID+`"`) {
		t.Errorf("a real client id was not logged as it is:\n%s", buf.String())
	}
}
