// config.go: the server's settings, from initializationOptions,
// workspace/didChangeConfiguration and workspace/configuration.

package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/internal/clip"
)

// NotificationMode is the `notifications` setting.
type NotificationMode string

const (
	NotifyOff         NotificationMode = "off"
	NotifyErrors      NotificationMode = "errors"
	NotifyTransitions NotificationMode = "transitions"
)

// Settings are the user's settings; the zero value is not valid, start from
// DefaultSettings.
type Settings struct {
	Notifications    NotificationMode
	ConnectTimeoutMs int
	HealthTimeoutMs  int
	QueryTimeoutMs   int
	// HeddlePath is the heddle CLI queries fall through to: "" looks for
	// heddle on PATH, "off" never runs it, else an absolute path (never one
	// relative to a folder: a cloned repository must not pick the program).
	HeddlePath string
}

// DefaultSettings are used where the client says nothing (or nonsense).
func DefaultSettings() Settings {
	return Settings{
		Notifications:    NotifyErrors,
		ConnectTimeoutMs: int(daemonlink.DefaultConnectTimeout / time.Millisecond),
		HealthTimeoutMs:  int(daemonlink.DefaultHealthTimeout / time.Millisecond),
		QueryTimeoutMs:   int(daemonlink.DefaultQueryTimeout / time.Millisecond),
	}
}

// Upper bounds for the timeouts: beyond these a value is surely a mistake
// (seconds typed as milliseconds twice over) and the default is kept.
const (
	maxConnectTimeoutMs = 10_000
	maxHealthTimeoutMs  = 30_000
	maxQueryTimeoutMs   = 600_000
)

// Sources turns the settings into what the sources need.
func (s Settings) Sources() folder.Config {
	return folder.Config{
		Daemon: daemonlink.Options{
			ConnectTimeout: time.Duration(s.ConnectTimeoutMs) * time.Millisecond,
			HealthTimeout:  time.Duration(s.HealthTimeoutMs) * time.Millisecond,
			QueryTimeout:   time.Duration(s.QueryTimeoutMs) * time.Millisecond,
		}.WithDefaults(),
		HeddlePath: s.HeddlePath,
	}
}

// ParseInitializationOptions reads settings given bare ({"notifications":…})
// or under "heddle" ({"heddle":{…}}). It returns the settings and one
// problem per ignored value; unknown keys are ignored silently.
func ParseInitializationOptions(raw json.RawMessage) (Settings, []string) {
	obj, problems := settingsObject(raw)
	if nested, ok := obj["heddle"]; ok {
		inner, more := settingsObject(nested)
		obj, problems = inner, append(problems, more...)
	}
	return applySettings(DefaultSettings(), obj, problems)
}

// ParseDidChangeConfiguration reads {"settings":{"heddle":{…}}} over base:
// keys present replace base's values, absent keys keep them (clients differ
// in whether they send the whole section). The second result is false when
// the client sent no heddle section (some send null settings to mean "pull
// them"), in which case nothing changes.
func ParseDidChangeConfiguration(base Settings, raw json.RawMessage) (Settings, bool, []string) {
	var params struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := json.Unmarshal(raw, &params); err != nil {
		return base, false, []string{fmt.Sprintf("didChangeConfiguration params: %v", err)}
	}
	obj, problems := settingsObject(params.Settings)
	section, ok := obj["heddle"]
	if !ok {
		return base, false, problems
	}
	s, more := ParseSection(base, section)
	return s, true, append(problems, more...)
}

// ParseSection reads the "heddle" section itself, as pulled by
// workspace/configuration, over base.
func ParseSection(base Settings, raw json.RawMessage) (Settings, []string) {
	obj, problems := settingsObject(raw)
	return applySettings(base, obj, problems)
}

// settingsObject decodes a JSON object into its members; null or absent is
// an empty object, anything else a problem.
func settingsObject(raw json.RawMessage) (map[string]json.RawMessage, []string) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return map[string]json.RawMessage{}, []string{fmt.Sprintf("settings must be a JSON object, got %s", clip.String(string(raw), 60))}
	}
	return obj, nil
}

func applySettings(s Settings, obj map[string]json.RawMessage, problems []string) (Settings, []string) {
	if raw, ok := obj["notifications"]; ok {
		var mode string
		err := json.Unmarshal(raw, &mode)
		switch m := NotificationMode(mode); {
		case err == nil && (m == NotifyOff || m == NotifyErrors || m == NotifyTransitions):
			s.Notifications = m
		default:
			problems = append(problems, fmt.Sprintf("notifications: want \"off\", \"errors\" or \"transitions\", got %s; keeping %q",
				clip.String(string(raw), 40), s.Notifications))
		}
	}
	problems = applyMillis(obj, "connectTimeoutMs", maxConnectTimeoutMs, &s.ConnectTimeoutMs, problems)
	problems = applyMillis(obj, "healthTimeoutMs", maxHealthTimeoutMs, &s.HealthTimeoutMs, problems)
	problems = applyMillis(obj, "queryTimeoutMs", maxQueryTimeoutMs, &s.QueryTimeoutMs, problems)
	if raw, ok := obj["heddlePath"]; ok {
		var path string
		err := json.Unmarshal(raw, &path)
		switch {
		case err == nil && (path == "" || path == "off" || filepath.IsAbs(path)):
			s.HeddlePath = path
		default:
			problems = append(problems, fmt.Sprintf(`heddlePath: want "" (look on PATH), "off" or an absolute path, got %s; keeping %q`,
				clip.String(string(raw), 80), s.HeddlePath))
		}
	}
	return s, problems
}

func applyMillis(obj map[string]json.RawMessage, key string, max int, dst *int, problems []string) []string {
	raw, ok := obj[key]
	if !ok {
		return problems
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil || v <= 0 || v > max {
		return append(problems, fmt.Sprintf("%s: want a whole number of milliseconds in 1..%d, got %s; keeping %d",
			key, max, clip.String(string(raw), 40), *dst))
	}
	*dst = v
	return problems
}

func (s *Server) didChangeConfiguration(raw json.RawMessage) {
	s.mu.Lock()
	base, pull := s.settings, s.client.configuration
	s.mu.Unlock()
	settings, ok, problems := ParseDidChangeConfiguration(base, raw)
	s.reportSettingProblems("didChangeConfiguration", problems)
	switch {
	case ok:
		s.useSettings(settings)
	case pull:
		s.pullConfiguration()
	}
}

// pullConfiguration asks the client for section "heddle". It runs in its
// own goroutine: the answer arrives on the read loop, which must not wait.
func (s *Server) pullConfiguration() {
	s.requests.Add(1)
	go func() {
		defer s.requests.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		params := map[string]any{"items": []map[string]string{{"section": "heddle"}}}
		var result []json.RawMessage
		if _, err := s.conn.Call(ctx, "workspace/configuration", params, &result); err != nil {
			s.log.Info("workspace/configuration not answered", "err", err)
			return
		}
		if len(result) == 0 || isNull(result[0]) || string(bytes.TrimSpace(result[0])) == "{}" {
			return
		}
		s.mu.Lock()
		base := s.settings
		s.mu.Unlock()
		settings, problems := ParseSection(base, result[0])
		s.reportSettingProblems("workspace/configuration", problems)
		s.useSettings(settings)
	}()
}

// useSettings makes settings current and hands the timeouts to the sources.
func (s *Server) useSettings(settings Settings) {
	s.mu.Lock()
	old, sources := s.settings, s.sources
	s.settings = settings
	s.mu.Unlock()
	if old == settings {
		return
	}
	s.log.Info("settings changed", "notifications", settings.Notifications,
		"connectTimeoutMs", settings.ConnectTimeoutMs, "healthTimeoutMs", settings.HealthTimeoutMs,
		"queryTimeoutMs", settings.QueryTimeoutMs, "heddlePath", settings.HeddlePath)
	if sources != nil {
		sources.SetConfig(settings.Sources())
	}
}

func (s *Server) reportSettingProblems(source string, problems []string) {
	for _, pr := range problems {
		s.log.Warn("ignoring bad setting", "source", source, "problem", pr)
		s.logMessage(logWarning, "heddle-ls: ignoring setting from "+source+": "+pr)
	}
}
