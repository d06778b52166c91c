// The extension's output channels, each created on first use, so a window that never starts
// heddle-ls gets none:
//   "Heddle"            a log channel: the extension's lines and the server's stderr, each at
//                       its own level;
//   "Heddle LSP Trace"  a plain channel for the LSP traffic when `heddle.trace.server` is on.
// vscode-languageclient 11 traces only when its trace channel's log level is Trace, so a log
// channel at the default Info level showed nothing whatever the setting said; the trace
// channel here reports Trace exactly while the setting is not "off" (as rust-analyzer's own
// trace channel does), and the trace lands where people look for it.
import * as vscode from 'vscode';
import { section } from './config';

type LogMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A LogOutputChannel that exists only once something is written to it or it is shown. */
export class LazyLogChannel implements vscode.LogOutputChannel {
    private channel: vscode.LogOutputChannel | undefined;
    /** After dispose nothing is created again: a late line (a stop still in flight) is dropped. */
    private disposed = false;
    private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
    readonly onDidChangeLogLevel = this.levelChanged.event;

    constructor(readonly name: string) {}

    get logLevel(): vscode.LogLevel {
        return this.channel?.logLevel ?? vscode.env.logLevel;
    }

    /** The channel, created on first use; undefined once disposed. */
    private get real(): vscode.LogOutputChannel | undefined {
        if (!this.channel && !this.disposed) {
            this.channel = vscode.window.createOutputChannel(this.name, { log: true });
            this.channel.onDidChangeLogLevel((l) => this.levelChanged.fire(l));
        }
        return this.channel;
    }

    private write(method: LogMethod, message: string | Error, args: unknown[]): void {
        const ch = this.real;
        if (!ch) return;
        if (method === 'error') ch.error(message, ...args);
        else ch[method](message as string, ...args);
    }
    trace(message: string, ...args: unknown[]): void {
        this.write('trace', message, args);
    }
    debug(message: string, ...args: unknown[]): void {
        this.write('debug', message, args);
    }
    info(message: string, ...args: unknown[]): void {
        this.write('info', message, args);
    }
    warn(message: string, ...args: unknown[]): void {
        this.write('warn', message, args);
    }
    error(message: string | Error, ...args: unknown[]): void {
        this.write('error', message, args);
    }
    append(value: string): void {
        this.real?.append(value);
    }
    appendLine(value: string): void {
        this.real?.appendLine(value);
    }
    replace(value: string): void {
        this.real?.replace(value);
    }
    clear(): void {
        this.channel?.clear();
    }
    show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
        const ch = this.real;
        if (ch) showChannel(ch, columnOrPreserveFocus, preserveFocus);
    }
    hide(): void {
        this.channel?.hide();
    }
    dispose(): void {
        this.disposed = true;
        this.channel?.dispose();
        this.channel = undefined;
        this.levelChanged.dispose();
    }
}

/**
 * The LSP trace as vscode-languageclient wants it (a LogOutputChannel whose level says whether
 * to trace), written into a plain output channel created on the first traced message.
 */
export class TraceChannel implements vscode.LogOutputChannel {
    private channel: vscode.OutputChannel | undefined;
    private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
    readonly onDidChangeLogLevel = this.levelChanged.event;
    private readonly listener: vscode.Disposable;
    private level = TraceChannel.levelFromSettings();
    /** After dispose nothing is created again (a message still in flight is dropped). */
    private disposed = false;

    /** `onChange` hears each switch, for the log. */
    constructor(
        readonly name: string,
        onChange: (on: boolean) => void,
    ) {
        this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
            if (!e.affectsConfiguration(`${section}.trace.server`)) return;
            const next = TraceChannel.levelFromSettings();
            if (next === this.level) return;
            this.level = next;
            onChange(next === vscode.LogLevel.Trace);
            this.levelChanged.fire(next);
        });
    }

    private static levelFromSettings(): vscode.LogLevel {
        const v = vscode.workspace.getConfiguration(section).get<string>('trace.server', 'off');
        return v === 'messages' || v === 'verbose' ? vscode.LogLevel.Trace : vscode.LogLevel.Info;
    }

    get logLevel(): vscode.LogLevel {
        return this.level;
    }

    /** The channel, created on first use; undefined once disposed. */
    private get real(): vscode.OutputChannel | undefined {
        if (!this.disposed) this.channel ??= vscode.window.createOutputChannel(this.name);
        return this.channel;
    }

    private line(message: string): void {
        if (this.level !== vscode.LogLevel.Trace) return; // a message still in flight after "off"
        this.real?.appendLine(message);
    }
    trace(message: string): void {
        // A plain channel has no timestamps of its own.
        this.line(`[${new Date().toISOString().slice(11, 23)}] ${message}`);
    }
    debug(message: string): void {
        this.line(message);
    }
    info(message: string): void {
        this.line(message);
    }
    warn(message: string): void {
        this.line(message);
    }
    error(message: string | Error): void {
        this.line(message instanceof Error ? message.message : message);
    }
    append(value: string): void {
        this.line(value);
    }
    appendLine(value: string): void {
        this.line(value);
    }
    replace(value: string): void {
        this.channel?.replace(value);
    }
    clear(): void {
        this.channel?.clear();
    }
    show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
        const ch = this.real;
        if (ch) showChannel(ch, columnOrPreserveFocus, preserveFocus);
    }
    hide(): void {
        this.channel?.hide();
    }
    dispose(): void {
        this.disposed = true;
        this.listener.dispose();
        this.channel?.dispose();
        this.channel = undefined;
        this.levelChanged.dispose();
    }
}

/** OutputChannel.show's two overloads, forwarded. */
function showChannel(ch: vscode.OutputChannel, columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean' || columnOrPreserveFocus === undefined) ch.show(columnOrPreserveFocus);
    else ch.show(columnOrPreserveFocus, preserveFocus);
}
