// Package render turns the contract's shapes (lsp/protocol) into text for
// people: the markdown of heddle.explain, and the CLI's lines and tables.
// It never produces JSON.
package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// StatusLine is one line per path for `heddle-ls status`:
// "<state>  <root or path>  <message>", states padded so columns align.
func StatusLine(path string, st protocol.StatusParams) string {
	where := st.Root
	if where == "" {
		where = path
	}
	line := fmt.Sprintf("%-15s  %s  %s", st.State, where, st.Message)
	if st.Hint != "" {
		line += "  (" + st.Hint + ")"
	}
	if m := st.Mount; m != nil {
		line += "  [" + m.Message + "]"
	}
	return line
}

// mountLine describes the mount daemon for an explanation.
func mountLine(m *protocol.MountStatus) string {
	if m == nil {
		return "not running (no endpoint file: it idles out, which is normal)"
	}
	return fmt.Sprintf("%s (%s): %s", m.State, m.Reason, m.Message)
}

// ExplanationMarkdown renders a probe for the editor: verdict, a table of
// steps with timings, and the fix.
func ExplanationMarkdown(folder string, st protocol.StatusParams, steps []protocol.ExplainStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### heddle daemon: `%s`\n\n", st.State)
	fmt.Fprintf(&b, "**%s** — %s\n\n", folder, mdEscape(st.Message))
	if st.HeddleDir != "" {
		fmt.Fprintf(&b, "- repository: `%s`\n- heddle dir: `%s`\n", st.Root, st.HeddleDir)
	}
	if st.Socket != "" {
		fmt.Fprintf(&b, "- socket: `%s`\n", st.Socket)
	}
	if st.PID != 0 {
		fmt.Fprintf(&b, "- pid: %d\n", st.PID)
	}
	if st.API != "" {
		fmt.Fprintf(&b, "- API: `%s`\n", st.API)
	}
	if st.Reason != "" {
		fmt.Fprintf(&b, "- reason: `%s`\n", st.Reason)
	}
	if st.HeddleDir != "" {
		fmt.Fprintf(&b, "- mount daemon: %s\n", mdEscape(mountLine(st.Mount)))
	}
	b.WriteString("\n| step | result | time | detail |\n|---|---|---:|---|\n")
	for _, s := range steps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Step, okMark(s.OK), Micros(s.Micros), mdEscape(s.Detail))
	}
	if len(steps) == 0 {
		b.WriteString("| — | | | no steps ran |\n")
	}
	if st.Hint != "" {
		fmt.Fprintf(&b, "\n**Fix:** %s\n", mdEscape(st.Hint))
	} else if st.State == "ready" {
		b.WriteString("\nNothing to fix: the daemon answers.\n")
	}
	return b.String()
}

// ExplanationText renders a probe for a terminal.
func ExplanationText(w io.Writer, path string, st protocol.StatusParams, steps []protocol.ExplainStep) error {
	fmt.Fprintf(w, "%s: %s — %s\n", path, st.State, st.Message)
	if st.HeddleDir != "" {
		fmt.Fprintf(w, "  repository  %s\n  heddle dir  %s\n", st.Root, st.HeddleDir)
	}
	if st.Socket != "" {
		fmt.Fprintf(w, "  socket      %s\n", st.Socket)
	}
	if st.API != "" {
		fmt.Fprintf(w, "  api         %s\n", st.API)
	}
	if st.Reason != "" {
		fmt.Fprintf(w, "  reason      %s\n", st.Reason)
	}
	if st.HeddleDir != "" {
		fmt.Fprintf(w, "  mount       %s\n", mountLine(st.Mount))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESULT\tTIME\tDETAIL")
	for _, s := range steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Step, okWord(s.OK), Micros(s.Micros), s.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Hint != "" {
		fmt.Fprintf(w, "\nfix: %s\n", st.Hint)
	}
	return nil
}

// OperationsTable renders hits in the order given (newest first).
func OperationsTable(w io.Writer, ops []protocol.OperationHit) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tVERB\tACTOR\tTHREAD\tSYMBOLS\tSIGNALS\tSTATE")
	for _, op := range ops {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", op.Seq,
			time.Unix(op.TimestampSecs, 0).UTC().Format("2006-01-02 15:04:05"),
			op.Verb, op.ActorEmail, op.Thread, dashIfEmpty(strings.Join(op.Symbols, ",")),
			dashIfEmpty(strings.Join(op.SignalKinds, ",")), shortID(op))
	}
	return tw.Flush()
}

// SignalHealthTable renders a signal-health report.
func SignalHealthTable(w io.Writer, h protocol.SignalHealthResult) error {
	fmt.Fprintf(w, "window: %d states\n", h.WindowStates)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tFIRE RATE\tWARN")
	for _, e := range h.Entries {
		warn := ""
		if e.Warn {
			warn = "warn"
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\n", e.ModuleID, e.FireRate, warn)
	}
	return tw.Flush()
}

// HooksTable renders registered hooks.
func HooksTable(w io.Writer, hooks []protocol.Hook) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEVENTS\tTIMEOUT\tCOMMAND")
	for _, h := range hooks {
		fmt.Fprintf(tw, "%s\t%s\t%dms\t%s\n", h.Name, strings.Join(h.Events, ","), h.TimeoutMs, h.Command)
	}
	return tw.Flush()
}

// Micros renders a step time given in microseconds.
func Micros(us int64) string { return Duration(time.Duration(us) * time.Microsecond) }

// Duration renders a step time at a useful precision (µs below 10 ms).
func Duration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

// shortID is the state id as heddle prints it when known, else its hex,
// cut to 12 characters (or "-").
func shortID(op protocol.OperationHit) string {
	id := op.StateRef
	if id == "" {
		id = op.StateID
	}
	if id == "" {
		return "-"
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func okMark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// mdEscape keeps a detail line from breaking the markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
