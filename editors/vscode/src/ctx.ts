// The extension's state: the heddle-ls language client (start, stop, restart, capped
// automatic restarts), every folder's latest `heddle/status`, the status bar item rendered
// from them, and the gate that turns server `window/showMessage`s into at most one
// notification per folder, with "Don't Show Again for This Folder".
import * as fs from 'fs';
import * as vscode from 'vscode';
import * as lc from 'vscode-languageclient/node';
import { Config, inHeddleRepo, section } from './config';
import * as ext from './lsp_ext';
import { ClientState, folderForMessage, folderName, renderStatus, tooltipCommands } from './status';

/** Automatic restarts after the server exits unexpectedly: at most this many per window. */
const maxRestarts = 3;
const restartWindowMs = 3 * 60 * 1000;

export class Ctx implements vscode.Disposable {
    readonly log: vscode.LogOutputChannel;
    private client: lc.LanguageClient | undefined;
    private clientState: ClientState = { kind: 'stopped' };
    private readonly statuses = new Map<string, ext.FolderStatus>();
    /** The folder whose state changed last, and when: the likely subject of a showMessage. */
    lastStateChange: { folder: string; atMs: number } | undefined;
    private readonly statusBar: vscode.StatusBarItem;
    private readonly gate: MessageGate;
    private readonly restarts: number[] = [];
    private readonly disposables: vscode.Disposable[] = [];
    private readonly changed = new vscode.EventEmitter<ext.FolderStatus | undefined>();
    /** Fires with the folder's new status, or undefined when all statuses were reset. */
    readonly onDidChangeStatus = this.changed.event;

    constructor(
        readonly extCtx: vscode.ExtensionContext,
        readonly config: Config,
    ) {
        this.log = vscode.window.createOutputChannel('Heddle', { log: true });
        this.statusBar = vscode.window.createStatusBarItem('heddle.status', vscode.StatusBarAlignment.Left, 10);
        this.statusBar.name = 'Heddle';
        this.statusBar.command = 'heddle.client.showStatus';
        this.gate = new MessageGate(this, extCtx.workspaceState);
        this.disposables.push(
            this.log,
            this.statusBar,
            this.changed,
            vscode.workspace.onDidChangeWorkspaceFolders(() => {
                this.dropRemovedFolders();
                if (this.clientState.kind === 'idle') void this.startIfRepo();
            }),
        );
        this.render();
    }

    get state(): ClientState['kind'] {
        return this.clientState.kind;
    }

    get running(): boolean {
        return this.client !== undefined && this.clientState.kind === 'running';
    }

    /** Every folder's latest status, keyed by normalised folder URI. */
    allStatuses(): ext.FolderStatus[] {
        return [...this.statuses.values()];
    }

    statusOf(folder: string): ext.FolderStatus | undefined {
        return this.statuses.get(normaliseFolder(folder));
    }

    /** Whether some workspace folder is (in) a heddle repository. */
    workspaceHasRepo(): boolean {
        return (vscode.workspace.workspaceFolders ?? []).some(
            (f) => f.uri.scheme === 'file' && inHeddleRepo(f.uri.fsPath),
        );
    }

    /**
     * Starts the server if a workspace folder is in a heddle repository (or `force`), else
     * stays idle: VS Code activates on startup too, and most windows are not heddle repos.
     */
    async startIfRepo(force = false): Promise<void> {
        if (this.client) return;
        if (!force && !this.workspaceHasRepo()) {
            this.log.info('no workspace folder is in a heddle repository; heddle-ls not started');
            this.setClientState({ kind: 'idle' });
            return;
        }
        await this.start();
    }

    /** Starts the server. Never throws: a failure becomes the status bar's error state. */
    async start(): Promise<void> {
        if (this.client) return;
        const server = this.config.serverPath();
        if (server.source === 'bundled' && !isExecutable(server.path)) {
            // A .vsix unpacked by a tool that drops the mode bits: restore them once.
            try {
                fs.chmodSync(server.path, 0o755);
            } catch (e) {
                this.log.warn(`chmod ${server.path}: ${errorMessage(e)}`);
            }
        }
        if (server.source !== 'PATH' && !isExecutable(server.path)) {
            this.fail(
                `heddle-ls not found or not executable at ${server.path}` +
                    (server.source === 'setting' ? ' (from the setting heddle.server.path)' : ' (bundled)'),
            );
            return;
        }
        this.log.info(`starting ${server.path} (${server.source})`);
        const serverOptions: lc.Executable = {
            command: server.path,
            transport: lc.TransportKind.stdio,
            options: { env: { ...process.env, ...this.config.extraEnv } },
        };
        const clientOptions: lc.LanguageClientOptions = {
            // The server analyses no documents; it only needs the workspace folders.
            documentSelector: [],
            outputChannel: this.log,
            traceOutputChannel: this.log,
            initializationOptions: { [section]: this.config.serverSettings() },
            synchronize: { configurationSection: section },
            initializationFailedHandler: (e) => {
                this.log.error(`initialize failed: ${String(e)}`);
                return false;
            },
            errorHandler: {
                error: (_e, _m, count) => ({
                    action: count !== undefined && count <= 3 ? lc.ErrorAction.Continue : lc.ErrorAction.Shutdown,
                    handled: true,
                }),
                closed: () => this.onServerClosed(),
            },
        };
        const client = new lc.LanguageClient('heddle', 'Heddle', serverOptions, clientOptions);
        client.registerFeature(new ExperimentalFeatures());
        client.onNotification(ext.statusNotification, (s: ext.FolderStatus) => this.setStatus(s));
        // The per-folder statuses carry everything the status bar needs; the aggregate is logged.
        client.onNotification(ext.serverStatusNotification, (s: ext.ServerStatusParams) =>
            this.log.debug(`serverStatus ${JSON.stringify(s)}`),
        );
        // Replaces languageclient's default showMessage handler (registered first, so ours wins).
        client.onNotification(lc.ShowMessageNotification.type, (m) => this.gate.show(m));
        client.onDidChangeState((e) => {
            if (e.newState === lc.State.Running) this.setClientState({ kind: 'running' });
            else if (e.newState === lc.State.Starting) this.setClientState({ kind: 'starting' });
            else if (this.clientState.kind !== 'failed') this.setClientState({ kind: 'stopped' });
        });
        this.client = client;
        this.setClientState({ kind: 'starting' });
        try {
            await client.start();
        } catch (e) {
            // Spawn failure (ENOENT, EACCES) or a server that died during initialize.
            this.client = undefined;
            try {
                await client.dispose(1000);
            } catch {
                /* already dead */
            }
            this.fail(`heddle-ls failed to start (${server.path}): ${errorMessage(e)}`);
        }
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client) {
            try {
                await client.dispose(2000);
            } catch (e) {
                this.log.warn(`stopping heddle-ls: ${errorMessage(e)}`);
            }
        }
        this.statuses.clear();
        this.setClientState({ kind: 'stopped' });
        this.changed.fire(undefined);
    }

    /** Stops and starts a fresh server process; also the way out of the failed state. */
    async restart(): Promise<void> {
        this.restarts.length = 0;
        await this.stop();
        await this.start();
    }

    /** Runs a server command; rejects with a message fit for the user. */
    async execute<T>(command: string, args: unknown[]): Promise<T> {
        if (!this.client && (this.clientState.kind === 'idle' || this.clientState.kind === 'stopped')) {
            await this.start(); // a command in a window that was idle
        }
        const client = this.client;
        if (!client || !this.running) {
            throw new Error(
                this.clientState.kind === 'failed'
                    ? `heddle-ls is not running: ${this.clientState.message}`
                    : 'heddle-ls is not running yet',
            );
        }
        return (await client.sendRequest(lc.ExecuteCommandRequest.type, { command, arguments: args })) as T;
    }

    /** Records fresh statuses returned by heddle.status / heddle.refresh. */
    mergeStatuses(list: ext.FolderStatus[] | null | undefined): void {
        for (const s of list ?? []) this.setStatus(s);
    }

    render(): void {
        const folders = vscode.workspace.workspaceFolders ?? [];
        const pending = this.running ? folders.filter((f) => !this.statuses.has(f.uri.toString())).length : 0;
        const view = renderStatus(this.statuses.values(), this.clientState, this.config.statusBarShow, pending);
        const item = this.statusBar;
        item.text = view.text;
        item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
        const md = new vscode.MarkdownString(view.tooltip, true);
        md.isTrusted = { enabledCommands: tooltipCommands };
        item.tooltip = md;
        item.accessibilityInformation = { label: view.accessibleLabel, role: 'button' };
        if (view.visible) item.show();
        else item.hide();
        const active = [...this.statuses.values()].some((s) => s.state !== 'no-repo');
        void vscode.commands.executeCommand('setContext', 'heddle.active', active);
    }

    private setStatus(s: ext.FolderStatus): void {
        const key = normaliseFolder(s.folder);
        // A status for a folder that was just removed can still be in flight.
        if (!this.isWorkspaceFolder(key)) return;
        const prev = this.statuses.get(key);
        const next = { ...s, folder: key };
        this.statuses.set(key, next);
        if (!prev || prev.state !== s.state) {
            this.lastStateChange = { folder: key, atMs: Date.now() };
            this.log.info(`${folderName(key)}: ${prev?.state ?? '(none)'} → ${s.state}: ${s.message ?? ''}`);
        }
        this.render();
        this.changed.fire(next);
    }

    private isWorkspaceFolder(key: string): boolean {
        const folders = vscode.workspace.workspaceFolders ?? [];
        return folders.some((f) => f.uri.toString() === key);
    }

    private dropRemovedFolders(): void {
        let dropped = false;
        for (const key of [...this.statuses.keys()]) {
            if (!this.isWorkspaceFolder(key)) {
                this.statuses.delete(key);
                dropped = true;
            }
        }
        if (dropped) {
            this.render();
            this.changed.fire(undefined);
        }
    }

    private setClientState(s: ClientState): void {
        this.clientState = s;
        this.render();
    }

    private fail(message: string): void {
        this.log.error(message);
        this.statuses.clear();
        this.setClientState({ kind: 'failed', message });
        this.changed.fire(undefined);
        void vscode.window.showErrorMessage(message, 'Show Logs', 'Configure Path').then((pick) => {
            if (pick === 'Show Logs') this.log.show(true);
            else if (pick === 'Configure Path') void vscode.commands.executeCommand('heddle.client.configureServerPath');
        });
    }

    private onServerClosed(): lc.CloseHandlerResult {
        const now = Date.now();
        while (this.restarts.length && now - this.restarts[0] > restartWindowMs) this.restarts.shift();
        this.statuses.clear();
        this.changed.fire(undefined);
        if (this.restarts.length < maxRestarts) {
            this.restarts.push(now);
            this.log.warn(`heddle-ls exited; restarting (${this.restarts.length}/${maxRestarts})`);
            return { action: lc.CloseAction.Restart, handled: true };
        }
        // Give up instead of a crash loop; Restart Server starts over.
        this.fail(`heddle-ls exited ${maxRestarts + 1} times within 3 minutes; not restarting. See the logs.`);
        return { action: lc.CloseAction.DoNotRestart, handled: true };
    }

    dispose(): void {
        void this.stop();
        for (const d of this.disposables) d.dispose();
    }
}

/** Declares `experimental.serverStatusNotification`, so the server sends the aggregate health. */
class ExperimentalFeatures implements lc.StaticFeature {
    getState(): lc.FeatureState {
        return { kind: 'static' };
    }
    fillClientCapabilities(capabilities: lc.ClientCapabilities): void {
        capabilities.experimental = { ...(capabilities.experimental ?? {}), serverStatusNotification: true };
    }
    initialize(): void {}
    clear(): void {}
}

const suppressedKey = 'heddle.notifications.suppressedFolders';
/** A notification that is still open blocks the next one for its folder for at most this long. */
const openNotificationMs = 60 * 1000;

/**
 * Shows the server's `window/showMessage`s: every one is logged, but a folder gets at most one
 * open notification at a time, and none once the user chose "Don't Show Again for This Folder"
 * (remembered per workspace; reset with the command Heddle: Reset "Don't Show Again").
 */
class MessageGate {
    private readonly open = new Map<string, number>();

    constructor(
        private readonly ctx: Ctx,
        private readonly memento: vscode.Memento,
    ) {}

    private get suppressed(): string[] {
        return this.memento.get<string[]>(suppressedKey, []);
    }

    show(m: lc.ShowMessageParams): void {
        const level = m.type === lc.MessageType.Error ? 'error' : m.type === lc.MessageType.Warning ? 'warn' : 'info';
        this.ctx.log[level](`[notification] ${m.message}`);
        const folder = folderForMessage(m.message, this.ctx.allStatuses(), this.ctx.lastStateChange, Date.now());
        const key = folder ?? '*';
        if (this.suppressed.includes(key)) return;
        const openedAt = this.open.get(key);
        if (openedAt !== undefined && Date.now() - openedAt < openNotificationMs) {
            this.ctx.log.info('[notification] not shown: one is already open for this folder');
            return;
        }
        this.open.set(key, Date.now());
        const dontShow = folder ? "Don't Show Again for This Folder" : "Don't Show Again";
        const actions = folder ? ['Explain', dontShow] : [dontShow];
        const fn =
            m.type === lc.MessageType.Error
                ? vscode.window.showErrorMessage
                : m.type === lc.MessageType.Warning
                  ? vscode.window.showWarningMessage
                  : vscode.window.showInformationMessage;
        const text = folder && !m.message.includes(folderName(folder)) ? `heddle (${folderName(folder)}): ${m.message}` : m.message;
        void fn(text, ...actions).then(async (pick) => {
            this.open.delete(key);
            if (pick === dontShow) {
                await this.memento.update(suppressedKey, [...new Set([...this.suppressed, key])]);
            } else if (pick === 'Explain' && folder) {
                await vscode.commands.executeCommand('heddle.client.explain', folder);
            }
        });
    }
}

export function resetSuppressedNotifications(ctx: Ctx): Thenable<void> {
    return ctx.extCtx.workspaceState.update(suppressedKey, []);
}

export function normaliseFolder(folder: string): string {
    if (folder.startsWith('/')) return vscode.Uri.file(folder).toString();
    try {
        return vscode.Uri.parse(folder, true).toString();
    } catch {
        return folder;
    }
}

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

export function errorMessage(e: unknown): string {
    if (e instanceof Error) return e.message;
    if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
    return String(e);
}
