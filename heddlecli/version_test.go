package heddlecli

import "testing"

func TestInfo_VersionTrueHelpers(t *testing.T) {
	for _, tt := range []struct {
		version, api, start string
		daemon              bool
	}{
		{"0.2.2", "heddle.v1", "heddle agent serve --foreground", true},
		{"0.8.0", "heddle.v1", "heddle agent serve --foreground", true},
		{"0.10.1", "heddle.v1", "heddle agent serve --foreground", true},
		{"0.10.3", "heddle.api.v1alpha1", "heddle agent serve", true},
		{"0.11.0", "", "", false},
		{"0.13.0", "", "", false},
		{"0.14.0-rc.1", "", "", false},
		{"1.0.0", "", "", false},
		{"0.1.9", "", "", false},
		{"garbage", "", "", false},
		{"", "", "", false},
	} {
		i := Info{Version: tt.version}
		if i.HasAgentDaemon() != tt.daemon || i.AgentAPI() != tt.api || i.AgentStartCommand() != tt.start {
			t.Errorf("%q: daemon %t api %q start %q; want %t %q %q", tt.version,
				i.HasAgentDaemon(), i.AgentAPI(), i.AgentStartCommand(), tt.daemon, tt.api, tt.start)
		}
	}
}

func TestParseVersionLine(t *testing.T) {
	for in, want := range map[string]string{
		"heddle 0.13.0\n": "0.13.0", "heddle 0.14.0": "0.14.0", "  heddle 0.10.1  \nmore\n": "0.10.1",
		"git version 2.39\n": "", "heddle\n": "", "": "", "heddle 0.1 extra\n": "",
	} {
		got, ok := parseVersionLine([]byte(in))
		if got != want || ok != (want != "") {
			t.Errorf("parseVersionLine(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	var v []string
	for _, bad := range []string{`["a"] ["b"]`, `["a"]x`, `["a"`, ``, `{"a":1}`} {
		if err := decodeStrict([]byte(bad), &v); err == nil {
			t.Errorf("decodeStrict(%q) accepted it", bad)
		}
	}
	if err := decodeStrict([]byte("[\"a\"]\n"), &v); err != nil || len(v) != 1 {
		t.Errorf("decodeStrict of one value and a newline: %v, %v", v, err)
	}
}
