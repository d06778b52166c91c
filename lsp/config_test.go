package lsp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseInitializationOptions(t *testing.T) {
	def := DefaultSettings()
	cases := []struct {
		name     string
		raw      string
		want     Settings
		problems int
	}{
		{"absent", ``, def, 0},
		{"null", `null`, def, 0},
		{"bare", `{"notifications":"off","queryTimeoutMs":500}`, Settings{NotifyOff, 50, 150, 500, ""}, 0},
		{"nested", `{"heddle":{"notifications":"transitions","connectTimeoutMs":80,"healthTimeoutMs":300}}`,
			Settings{NotifyTransitions, 80, 300, 2000, ""}, 0},
		{"unknown keys ignored", `{"heddle":{"colour":"blue","notifications":"off"}}`, Settings{NotifyOff, 50, 150, 2000, ""}, 0},
		{"bad values keep defaults", `{"notifications":"loud","connectTimeoutMs":-5,"healthTimeoutMs":"fast","queryTimeoutMs":1e9}`, def, 4},
		{"fraction is bad", `{"queryTimeoutMs":1.5}`, def, 1},
		{"not an object", `"heddle"`, def, 1},
		{"heddlePath absolute", `{"heddlePath":"/opt/heddle/bin/heddle"}`, Settings{NotifyErrors, 50, 150, 2000, "/opt/heddle/bin/heddle"}, 0},
		{"heddlePath off", `{"heddle":{"heddlePath":"off"}}`, Settings{NotifyErrors, 50, 150, 2000, "off"}, 0},
		{"heddlePath relative is refused", `{"heddlePath":"bin/heddle"}`, def, 1},
		{"heddlePath not a string", `{"heddlePath":7}`, def, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := ParseInitializationOptions(json.RawMessage(tc.raw))
			if got != tc.want {
				t.Errorf("settings = %+v, want %+v", got, tc.want)
			}
			if len(problems) != tc.problems {
				t.Errorf("problems = %q, want %d", problems, tc.problems)
			}
		})
	}
}

func TestParseDidChangeConfiguration(t *testing.T) {
	base := Settings{NotifyOff, 70, 150, 2000, ""}
	got, ok, problems := ParseDidChangeConfiguration(base, json.RawMessage(`{"settings":{"heddle":{"queryTimeoutMs":900,"notifications":"bogus"}}}`))
	if !ok || got != (Settings{NotifyOff, 70, 150, 900, ""}) || len(problems) != 1 || !strings.Contains(problems[0], "bogus") {
		t.Errorf("got %+v ok=%v problems=%q", got, ok, problems)
	}
	if _, ok, _ := ParseDidChangeConfiguration(base, json.RawMessage(`{"settings":null}`)); ok {
		t.Errorf("null settings must mean 'no heddle section'")
	}
	if _, ok, _ := ParseDidChangeConfiguration(base, json.RawMessage(`{"settings":{"other":{}}}`)); ok {
		t.Errorf("a settings object without heddle must change nothing")
	}
}

func TestSettings_Sources(t *testing.T) {
	c := Settings{NotifyErrors, 70, 250, 3000, "/usr/bin/heddle"}.Sources()
	o := c.Daemon
	if o.ConnectTimeout != 70*time.Millisecond || o.HealthTimeout != 250*time.Millisecond || o.QueryTimeout != 3*time.Second ||
		c.HeddlePath != "/usr/bin/heddle" {
		t.Errorf("sources config = %+v", c)
	}
}
