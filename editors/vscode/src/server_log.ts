// Pure: reads one line of heddle-ls's stderr (Go's slog text format) so the log channel shows
// it at its own level instead of languageclient's default (every stderr line an error).
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** `time=… level=INFO msg="x" k=v` → {level: 'info', text: 'x k=v'}; other lines are errors. */
export function parseServerLogLine(line: string): { level: LogLevelName; text: string } {
    const m = /^time=\S+ level=(DEBUG|INFO|WARN|ERROR)(?:[+-]\d+)? (.*)$/.exec(line);
    if (!m) return { level: 'error', text: line };
    const level = ({ DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[m[1] as 'DEBUG'];
    const rest = m[2];
    const msg = /^msg=("(?:[^"\\]|\\.)*"|\S*)\s?(.*)$/.exec(rest);
    if (!msg) return { level, text: rest };
    let text = msg[1];
    if (text.startsWith('"')) {
        try {
            text = JSON.parse(text) as string;
        } catch {
            /* keep it quoted */
        }
    }
    return { level, text: msg[2] ? `${text} ${msg[2]}` : text };
}
