package profile

import "testing"

func TestResourceURLRelativeToIssuer(t *testing.T) {
	p := refserverProfile(t, "http://127.0.0.1:8080/")
	if p.Resource == nil {
		t.Fatal("the shipped reference-server profile names no resource")
	}
	if want := "http://127.0.0.1:8080/oauth2/calculate?op=add&a=2&b=3"; p.Resource.URL != want {
		t.Errorf("resource.url = %q, want %q", p.Resource.URL, want)
	}
	if p.Resource.Method != "GET" || p.Resource.RequiredScope != "calc:write" {
		t.Errorf("resource = %+v", p.Resource)
	}
	if ok, reason := p.Supports("resource"); !ok {
		t.Errorf("Supports(resource) = false: %s", reason)
	}
}
