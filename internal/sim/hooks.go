package sim

import (
	"fmt"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// HookEvents is heddle's hook event catalog (schema v1).
var HookEvents = []string{
	"pre_capture", "post_capture", "pre_merge", "post_merge", "on_conflict",
	"pre_thread_create", "post_thread_create", "pre_push", "post_push", "on_signal",
}

// HookSchemaVersion is the version of every schema in the catalog.
const HookSchemaVersion = 1

// SeedHooks returns the hooks a fresh daemon has registered, sorted by name.
func SeedHooks() []*heddlev1.Hook {
	return []*heddlev1.Hook{
		{Name: "fmt-check", Command: "cargo fmt --check", Events: []string{"pre_capture"}, TimeoutMs: 5000},
		{Name: "notify-merge", Command: "./scripts/notify.sh", Events: []string{"post_merge", "on_conflict"}, TimeoutMs: 2000},
		{Name: "signal-log", Command: "logger -t heddle", Events: []string{"on_signal"}, TimeoutMs: 1000},
	}
}

// hookSchema describes one event's payload and response as JSON Schema.
func hookSchema(event string) *heddlev1.HookEventSchema {
	return &heddlev1.HookEventSchema{
		EventName:     event,
		SchemaVersion: HookSchemaVersion,
		PayloadSchemaJson: fmt.Sprintf(`{"$schema":"https://json-schema.org/draft/2020-12/schema",`+
			`"title":%q,"type":"object","properties":{"event":{"const":%q},"repo":{"type":"string"},`+
			`"thread":{"type":"string"},"state_id":{"type":"string"}},"required":["event","repo"]}`,
			event+" payload", event),
		ResponseSchemaJson: `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
			`"properties":{"abort":{"type":"string"},"extra_signals":{"type":"array"}}}`,
	}
}
