package sim

import (
	"encoding/json"
	"io"
	"os"
	"strings"
)

// envelope is heddle's stderr error envelope (heddle-cli-facts §3). The
// wording of its texts is heddle-sim's own; its keys, kinds and codes are
// heddle's.
type envelope struct {
	Error            string
	ExitCode         int
	Hint             string
	Kind             string
	UnsafeCondition  string
	WouldChange      string
	Preserved        string
	RecoveryCommands []string // the first is the primary command
}

// envelope writes e as one line. heddle builds it as a serde_json map, and
// its builds enable serde_json's preserve_order only for a build dependency,
// so the keys come out sorted (as heddle v0.10.1 prints them); a Go map
// marshals sorted too. Each command carries an action template whose argv
// starts with the running executable.
func (c *cliRun) envelope(e envelope) {
	templates := make([]any, len(e.RecoveryCommands))
	for i, cmd := range e.RecoveryCommands {
		templates[i] = actionTemplate(cmd)
	}
	writeJSONLine(c.stderr, map[string]any{
		"error":                     e.Error,
		"exit_code":                 e.ExitCode,
		"hint":                      e.Hint,
		"kind":                      e.Kind,
		"unsafe_condition":          e.UnsafeCondition,
		"would_change":              e.WouldChange,
		"preserved":                 e.Preserved,
		"primary_command":           e.RecoveryCommands[0],
		"primary_command_template":  templates[0],
		"recovery_commands":         e.RecoveryCommands,
		"recovery_action_templates": templates,
	})
}

// writeJSONLine writes v as one JSON line the way serde_json does: no HTML
// escaping of <, > and &.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func actionTemplate(command string) map[string]any {
	exe, err := os.Executable()
	if err != nil {
		exe = "heddle"
	}
	words := strings.Fields(command)
	return map[string]any{"action": command, "agent_may_fill": false,
		"argv_template": append([]string{exe}, words[1:]...), "required_inputs": []string{}}
}
