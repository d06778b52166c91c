// args.go: strict decoding of executeCommand arguments.

package lsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/clip"
)

// operationsOptions is heddle.operations' second argument.
type operationsOptions struct {
	Actor              string   `json:"actor"`
	Symbol             string   `json:"symbol"`
	SignalKind         string   `json:"signalKind"`
	Thread             string   `json:"thread"`
	Verbs              []string `json:"verbs"`
	SinceSecs          int64    `json:"sinceSecs"`
	UntilSecs          int64    `json:"untilSecs"`
	Limit              int      `json:"limit"`
	IncludeCheckpoints bool     `json:"includeCheckpoints"`
}

// query turns the options into the query (heddle.OperationQuery.Validate
// judges it).
func (o operationsOptions) query() heddle.OperationQuery {
	return heddle.OperationQuery{
		Actor: o.Actor, Symbol: o.Symbol, SignalKind: o.SignalKind, Thread: o.Thread,
		Verbs: o.Verbs, SinceSecs: o.SinceSecs, UntilSecs: o.UntilSecs, Limit: o.Limit,
		IncludeCheckpoints: o.IncludeCheckpoints,
	}
}

// signalHealthOptions is heddle.signalHealth's second argument.
type signalHealthOptions struct {
	WindowStates uint32 `json:"windowStates"`
}

// isNull reports whether an argument is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// splitArgs checks the argument count and separates an optional leading
// folder from an optional options object; an options object may come
// first when the folder is omitted.
func splitArgs(command string, args []json.RawMessage, takesOptions bool) (folder string, hasFolder bool, options json.RawMessage, err error) {
	max := 1
	if takesOptions {
		max = 2
	}
	if len(args) > max {
		return "", false, nil, invalidParams(fmt.Sprintf("%s takes at most %d argument(s), got %d", command, max, len(args)))
	}
	rest := args
	if len(rest) > 0 {
		first := bytes.TrimSpace(rest[0])
		switch {
		case isNull(first):
			rest = rest[1:]
		case first[0] == '"':
			if err := json.Unmarshal(first, &folder); err != nil {
				return "", false, nil, invalidParams(fmt.Sprintf("%s: folder argument: %v", command, err))
			}
			if folder == "" {
				return "", false, nil, invalidParams(command + ": folder argument is empty")
			}
			hasFolder, rest = true, rest[1:]
		case first[0] == '{' && takesOptions && len(args) == 1:
			// [options]: folder omitted.
		default:
			return "", false, nil, invalidParams(fmt.Sprintf("%s: argument 1 must be a folder URI or absolute path (a string), got %s",
				command, clip.String(string(first), 40)))
		}
	}
	if len(rest) > 0 {
		if !takesOptions {
			return "", false, nil, invalidParams(fmt.Sprintf("%s takes at most one argument", command))
		}
		options = rest[0]
	}
	return folder, hasFolder, options, nil
}

// decodeOptions decodes an options object into the struct dst points to,
// strictly: unknown keys (dst's json tags are the known ones) and wrong
// types are errors that name the key.
func decodeOptions(command string, raw json.RawMessage, dst any) error {
	if isNull(raw) || isEmptyArray(raw) {
		return nil
	}
	known := jsonKeys(reflect.TypeOf(dst).Elem())
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return invalidParams(fmt.Sprintf("%s: options must be a JSON object, got %s", command, clip.String(string(raw), 40)))
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return invalidParams(fmt.Sprintf("%s: unknown option(s) %s; known options: %s",
			command, quoteAll(unknown), strings.Join(known, ", ")))
	}
	for _, k := range known {
		v, ok := obj[k]
		if !ok || isNull(v) {
			continue
		}
		// Decode one key at a time so the error names it.
		single, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(single, dst); err != nil {
			return invalidParams(fmt.Sprintf("%s: option %s: %s", command, k, describeValueError(err)))
		}
	}
	return nil
}

func describeValueError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want %s, got %s", jsonKind(te.Type), te.Value)
	}
	return err.Error()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// isEmptyArray accepts [] as "no options": Lua's JSON encoders (Neovim's
// vim.json among them) cannot tell an empty table from an empty array.
func isEmptyArray(raw json.RawMessage) bool {
	return strings.TrimSpace(string(raw)) == "[]"
}

// jsonKeys lists a struct type's JSON keys in field order.
func jsonKeys(t reflect.Type) []string {
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
