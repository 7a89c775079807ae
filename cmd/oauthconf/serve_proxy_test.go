package main

import (
	"io"
	"strings"
	"testing"
)

func TestServeTrustedProxyFlag(t *testing.T) {
	o, err := parseServeFlags([]string{"--trusted-proxy", "10.0.0.0/8, 127.0.0.1", "--trusted-proxy", "fd00::/8"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range o.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 127.0.0.1/32 fd00::/8" {
		t.Errorf("--trusted-proxy: got %v", got)
	}
	if _, err := parseServeFlags([]string{"--trusted-proxy", "proxy.example"}, io.Discard); err == nil || !strings.Contains(err.Error(), "neither an IP address nor a CIDR") {
		t.Errorf("--trusted-proxy proxy.example: expected a clear error, got %v", err)
	}
}
