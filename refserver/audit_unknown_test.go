package refserver

import (
	"strings"
	"testing"
	"time"
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

// Issue 16 item 7: a throttled flood writes one line per account and minute, with the count of
// the refusals not logged, and no client_authentication line per throttled request.
func TestThrottledFloodIsOneLinePerMinute(t *testing.T) {
	e, buf := newAuditEnv(t)
	now := time.Now()
	frozen := now // the limiter's clock: the client stays throttled throughout
	e.srv.limiter.SetClock(func() time.Time { return frozen })
	e.srv.throttledLog.now = func() time.Time { return now }
	for i := 0; i < 120; i++ {
		e.token(ccID, "wrong-secret", ccForm)
	}
	lines := buf.lines(t)
	if n := len(find(lines, "throttled", "denied")); n != 1 {
		t.Errorf("100 throttled requests within a minute: %d throttled lines, expected 1", n)
	}
	if n := len(find(lines, "client_authentication", "failed")); n != 20 {
		t.Errorf("20 failures then 100 throttled requests: %d failed client_authentication lines, expected 20", n)
	}
	now = now.Add(time.Minute)
	e.token(ccID, "wrong-secret", ccForm)
	thr := find(buf.lines(t), "throttled", "denied")
	if len(thr) != 2 || !strings.Contains(thr[1].s("reason"), "99 more refused") {
		t.Errorf("the next minute's first refusal: expected a second line counting 99 more, got %v", thr)
	}
}
