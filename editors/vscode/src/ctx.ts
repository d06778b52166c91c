// The extension's state: the heddle-ls language client (start, stop, restart, capped
// automatic restarts), every folder's latest `heddle/status`, and the status bar item
// rendered from them. Notifications go through notifications.ts; output channels are lazy
// (output.ts); a repository that appears later is noticed by repo_watch.ts.
import * as fs from 'fs';
import * as readline from 'readline';
import * as vscode from 'vscode';
import * as lc from 'vscode-languageclient/node';
import { Config, inHeddleRepo, section } from './config';
import * as ext from './lsp_ext';
import { MessageGate } from './notifications';
import { LazyLogChannel, TraceChannel } from './output';
import { parseServerLogLine } from './server_log';
import {
    ClientState,
    CommandAction,
    FailureCause,
    failureActions,
    folderName,
    platformProblem,
    renderStatus,
    showLogsAction,
    startServerAction,
    tooltipCommands,
} from './status';

/** Automatic restarts after the server exits unexpectedly: at most this many per window. */
const maxRestarts = 3;
const restartWindowMs = 3 * 60 * 1000;
/** How long a command waits for a server that is starting before it says so. */
const startWaitMs = 10_000;

/** An error for the user, with the buttons that help (each runs a command). */
export class UserError extends Error {
    constructor(
        message: string,
        readonly actions: CommandAction[] = [],
    ) {
        super(message);
    }
}

/** Shows `message` with a button per action, and runs the command of the one picked. */
export function showWithActions(level: 'error' | 'warning', message: string, actions: readonly CommandAction[]): void {
    const show = level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    void show(message, ...actions.map((a) => a.title)).then((pick) => {
        const a = actions.find((x) => x.title === pick);
        if (a) void vscode.commands.executeCommand(a.command);
    });
}

export class Ctx implements vscode.Disposable {
    readonly log = new LazyLogChannel('Heddle');
    private readonly trace = new TraceChannel('Heddle LSP Trace', (on) =>
        this.log.info(`LSP trace ${on ? 'on: see the output channel Heddle LSP Trace' : 'off'}`),
    );
    private client: lc.LanguageClient | undefined;
    private starting: Promise<void> | undefined;
    private clientState: ClientState = { kind: 'idle' };
    private readonly statuses = new Map<string, ext.FolderStatus>();
    /** The folder whose state changed last, and when: the likely subject of a showMessage. */
    lastStateChange: { folder: string; atMs: number } | undefined;
    private readonly statusBar: vscode.StatusBarItem;
    private readonly gate: MessageGate;
    private readonly restarts: number[] = [];
    private readonly disposables: vscode.Disposable[] = [];
    private readonly changed = new vscode.EventEmitter<readonly ext.FolderStatus[] | undefined>();
    /**
     * Fires once per notification or heddle.status/refresh reply with the statuses that
     * changed, or with undefined when all statuses were reset.
     */
    readonly onDidChangeStatus = this.changed.event;
    /** The context keys as last sent: render() runs on every status, most change nothing. */
    private readonly contextKeys = new Map<string, boolean>();
    /** Set by dispose(): nothing renders, logs or stops after it (deactivate stopped already). */
    private disposed = false;
    private readonly opsChanged = new vscode.EventEmitter<string>();
    /** Fires with a folder URI (normalised) whose operation log changed. */
    readonly onDidChangeOperations = this.opsChanged.event;

    constructor(
        readonly extCtx: vscode.ExtensionContext,
        readonly config: Config,
    ) {
        this.statusBar = vscode.window.createStatusBarItem('heddle.status', vscode.StatusBarAlignment.Left, 10);
        this.statusBar.name = 'Heddle';
        this.statusBar.command = 'heddle.client.showStatus';
        this.gate = new MessageGate(this, extCtx.workspaceState);
        this.disposables.push(
            this.log,
            this.trace,
            this.statusBar,
            this.changed,
            this.opsChanged,
            vscode.workspace.onDidChangeWorkspaceFolders(() => {
                this.dropRemovedFolders();
                this.updateRepoContext();
                if (this.clientState.kind === 'idle') void this.startIfRepo();
            }),
        );
        this.updateRepoContext();
        this.render();
    }

    get state(): ClientState['kind'] {
        return this.clientState.kind;
    }

    get running(): boolean {
        return this.client !== undefined && this.clientState.kind === 'running';
    }

    /** serverInfo.version of the running server. */
    get serverVersion(): string | undefined {
        return this.client?.initializeResult?.serverInfo?.version;
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

    /** The `heddle.repo` context key: query commands show in the palette only with a repository. */
    private updateRepoContext(): void {
        this.setContext('heddle.repo', this.workspaceHasRepo());
    }

    private setContext(key: string, value: boolean): void {
        if (this.contextKeys.get(key) === value) return;
        this.contextKeys.set(key, value);
        void vscode.commands.executeCommand('setContext', key, value);
    }

    /**
     * Starts the server if a workspace folder is in a heddle repository (or `force`), else
     * stays idle: VS Code activates on startup too, and most windows are not heddle repos.
     * Nothing is logged while idle, so such a window gets no output channel at all.
     */
    async startIfRepo(force = false): Promise<void> {
        // A failed or stopped server is started again only by the user (Start/Restart Server).
        if (this.client || this.clientState.kind !== 'idle') return;
        if (!force && !this.workspaceHasRepo()) {
            this.setClientState({ kind: 'idle' });
            return;
        }
        await this.start();
    }

    /**
     * A heddle repository appeared in `folder` (repo_watch.ts): start the server if it was
     * idle, or have the running one look again (it re-discovers a no-repo folder on refresh).
     */
    async repositoryAppeared(folder: vscode.WorkspaceFolder): Promise<void> {
        this.updateRepoContext();
        const key = folder.uri.toString();
        if (this.clientState.kind === 'idle') {
            this.log.info(`${folder.name}: a heddle repository appeared; starting heddle-ls`);
            await this.start();
        } else if (this.running && this.statuses.get(key)?.state === 'no-repo') {
            this.log.info(`${folder.name}: a heddle repository appeared; re-probing`);
            this.mergeStatuses(await this.execute<ext.FolderStatus[]>(ext.serverCommands.refresh, [key]));
        }
    }

    /** Starts the server. Never throws: a failure becomes the status bar's error state. */
    start(): Promise<void> {
        if (!this.starting) {
            // Only our own start clears `starting`: stop() may have given up on this one and a
            // newer start may be under way by the time it settles.
            const p: Promise<void> = this.doStart().finally(() => {
                if (this.starting === p) this.starting = undefined;
            });
            this.starting = p;
        }
        return this.starting;
    }

    /** Waits for a start in progress, at most startWaitMs; false when it is still starting. */
    private async waitForStart(): Promise<boolean> {
        const starting = this.starting;
        if (!starting) return true;
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), startWaitMs)));
        const done = await Promise.race([starting.then(() => true), waited]);
        clearTimeout(timer);
        return done;
    }

    private async doStart(): Promise<void> {
        if (this.client || this.disposed) return;
        this.restarts.length = 0;
        const problem = platformProblem(process.platform);
        if (problem) {
            this.fail(problem, 'platform');
            return;
        }
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
                'not-found',
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
            traceOutputChannel: this.trace,
            stdioOptions: {
                stdout: () => {}, // the LSP stream itself (stdio transport)
                stderr: (input, out) =>
                    readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', (line) => {
                        const { level, text } = parseServerLogLine(line);
                        out[level](`[heddle-ls] ${text}`);
                    }),
            },
            initializationOptions: { [section]: this.config.serverSettings() },
            revealOutputChannelOn: lc.RevealOutputChannelOn.Never,
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
                closed: () => this.onServerClosed(client),
            },
        };
        const client = new HeddleClient('heddle', 'Heddle', serverOptions, clientOptions);
        client.registerFeature(new ExperimentalFeatures());
        client.onNotification(ext.statusNotification, (s: ext.FolderStatus) => this.setStatuses([s]));
        // The per-folder statuses carry everything the status bar needs; the aggregate is logged.
        client.onNotification(ext.serverStatusNotification, (s: ext.ServerStatusParams) =>
            this.log.debug(`serverStatus ${JSON.stringify(s)}`),
        );
        client.onNotification(ext.operationsChangedNotification, (p: ext.OperationsChangedParams) =>
            this.opsChanged.fire(normaliseFolder(p.folder)),
        );
        // Replaces languageclient's default showMessage handler (registered first, so ours wins).
        client.onNotification(lc.ShowMessageNotification.type, (m) => this.gate.show(m));
        client.onDidChangeState((e) => {
            // Stop Server, Restart Server and the restart cap set their own state.
            if (this.client !== client || this.clientState.kind === 'failed') return;
            // Stopped while still ours: languageclient restarts it (onServerClosed said so).
            this.setClientState({ kind: e.newState === lc.State.Running ? 'running' : 'starting' });
            if (e.newState === lc.State.Running) this.log.info(`heddle-ls ${this.serverVersion ?? '(no version)'} running`);
        });
        this.client = client;
        this.setClientState({ kind: 'starting' });
        try {
            await client.start();
        } catch (e) {
            // stop() gave up waiting for this start and disposed the client: not a failure.
            if (this.client !== client) return;
            // Spawn failure (ENOENT, EACCES) or a server that died during initialize.
            this.client = undefined;
            try {
                await client.dispose(1000);
            } catch {
                /* already dead */
            }
            this.fail(`heddle-ls failed to start (${server.path}): ${errorMessage(e)}`, 'start');
        }
    }

    /** Stops the server; it stays down until Start Server, Restart Server or a reload. */
    async stop(): Promise<void> {
        if (this.disposed) return;
        // A server that never answers initialize must not hang Stop/Restart: after the same
        // wait as a command's, the client is disposed anyway (which ends its process).
        if (!(await this.waitForStart())) {
            this.log.warn(`heddle-ls did not finish starting within ${startWaitMs / 1000}s; stopping it`);
            this.starting = undefined;
        }
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
        await this.stop();
        await this.start();
    }

    /**
     * Throws a UserError that says why no server command can run now (starting, stopped,
     * failed: with the button that helps); waits a little for a server that is starting.
     */
    async ensureRunning(): Promise<lc.LanguageClient> {
        await this.waitForStart();
        const s = this.clientState;
        if (this.client && s.kind === 'running') return this.client;
        switch (s.kind) {
            case 'starting':
                throw new UserError('heddle-ls is still starting; try again in a moment.', [showLogsAction]);
            case 'failed':
                throw new UserError(`heddle-ls is not running: ${s.message}`, failureActions(s.cause));
            case 'stopped':
                throw new UserError('heddle-ls is not running (stopped).', [startServerAction, showLogsAction]);
            default:
                throw new UserError('heddle-ls is not running: no workspace folder is in a heddle repository.', [startServerAction]);
        }
    }

    /** Runs a server command; rejects with a message fit for the user. */
    async execute<T>(command: string, args: unknown[]): Promise<T> {
        const client = await this.ensureRunning();
        return (await client.sendRequest(lc.ExecuteCommandRequest.type, { command, arguments: args })) as T;
    }

    /** Every folder's status, asking the server when some folder has not reported yet. */
    async freshStatuses(): Promise<ext.FolderStatus[]> {
        await this.ensureRunning();
        if (this.pendingFolders() > 0) this.mergeStatuses(await this.execute<ext.FolderStatus[]>(ext.serverCommands.status, []));
        return this.allStatuses();
    }

    /** Records fresh statuses returned by heddle.status / heddle.refresh. */
    mergeStatuses(list: ext.FolderStatus[] | null | undefined): void {
        this.setStatuses(list ?? []);
    }

    private pendingFolders(): number {
        if (!this.running) return 0;
        return (vscode.workspace.workspaceFolders ?? []).filter((f) => !this.statuses.has(f.uri.toString())).length;
    }

    render(): void {
        if (this.disposed) return; // the status bar item is gone
        const view = renderStatus(this.statuses.values(), this.clientState, this.config.statusBarShow, {
            pendingFolders: this.pendingFolders(),
            serverVersion: this.serverVersion,
        });
        const item = this.statusBar;
        item.text = view.text;
        item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
        const md = new vscode.MarkdownString(view.tooltip, true);
        md.isTrusted = { enabledCommands: tooltipCommands };
        item.tooltip = md;
        item.accessibilityInformation = { label: view.accessibleLabel, role: 'button' };
        if (view.visible) item.show();
        else item.hide();
        this.setContext('heddle.active', [...this.statuses.values()].some((s) => s.state !== 'no-repo'));
        this.setContext('heddle.serverRunning', this.clientState.kind === 'running' || this.clientState.kind === 'starting');
    }

    /** Records statuses; renders and fires once for all of them, and not at all when none changed. */
    private setStatuses(list: readonly ext.FolderStatus[]): void {
        const changed = list.map((s) => this.recordStatus(s)).filter((s) => s !== undefined);
        if (changed.length === 0) return;
        this.render();
        this.changed.fire(changed);
    }

    /** Stores one status; returns it as stored, or undefined when it changed nothing. */
    private recordStatus(s: ext.FolderStatus): ext.FolderStatus | undefined {
        const key = normaliseFolder(s.folder);
        // A status for a folder that was just removed can still be in flight.
        if (!this.isWorkspaceFolder(key)) return undefined;
        const prev = this.statuses.get(key);
        const next = { ...s, folder: key };
        // The server repeats a status (a refresh that finds nothing new): nothing to redraw.
        if (prev && JSON.stringify(prev) === JSON.stringify(next)) return undefined;
        this.statuses.set(key, next);
        if (!prev || prev.state !== s.state) this.lastStateChange = { folder: key, atMs: Date.now() };
        const was = prev ? describe(prev) : '(none)';
        if (was !== describe(next)) this.log.info(`${folderName(key)}: ${was} → ${describe(next)}: ${s.message ?? ''}`);
        return next;
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

    private fail(message: string, cause: FailureCause): void {
        this.log.error(message);
        this.statuses.clear();
        this.setClientState({ kind: 'failed', message, cause });
        this.changed.fire(undefined);
        showWithActions(cause === 'platform' ? 'warning' : 'error', message, failureActions(cause));
    }

    private onServerClosed(client: lc.LanguageClient): lc.CloseHandlerResult {
        // A client stop() gave up on while it was starting: it is no longer ours to restart.
        if (this.client !== client) return { action: lc.CloseAction.DoNotRestart, handled: true };
        const now = Date.now();
        while (this.restarts.length && now - this.restarts[0] > restartWindowMs) this.restarts.shift();
        this.statuses.clear();
        this.changed.fire(undefined);
        if (this.restarts.length < maxRestarts) {
            this.restarts.push(now);
            this.log.warn(`heddle-ls exited; restarting (${this.restarts.length}/${maxRestarts})`);
            return { action: lc.CloseAction.Restart, handled: true };
        }
        // Give up instead of a crash loop; Restart Server (or Start Server) starts over.
        this.fail(`heddle-ls exited ${maxRestarts + 1} times within 3 minutes; not restarting.`, 'crashed');
        return { action: lc.CloseAction.DoNotRestart, handled: true };
    }

    dispose(): void {
        if (this.disposed) return;
        this.disposed = true;
        // deactivate() has normally stopped the server already; if not, end it here without
        // stop()'s logging and rendering, which would touch what is disposed below.
        const client = this.client;
        this.client = undefined;
        client?.dispose(2000).catch(() => {});
        for (const d of this.disposables) d.dispose();
    }
}

/** A status in a few words for the log: "stopped (ok, queries cli, heddle 0.13.0, mount daemon running)". */
function describe(s: ext.FolderStatus): string {
    const more = [s.health, s.queries && `queries ${s.queries}`, s.heddle && `heddle ${s.heddle.version}`, s.mount && `mount daemon ${s.mount.state}`].filter(Boolean);
    return more.length ? `${s.state} (${more.join(', ')})` : s.state;
}

/**
 * A LanguageClient that never turns its own errors into notifications: they are logged, and
 * the extension says what the user needs (the status bar, the restart cap's message, a
 * command's error). A server killed while languageclient was restarting it showed a stack
 * trace ("Restarting server failed: Cannot call write after a stream was destroyed") tall
 * enough to push the restart cap's own message out of the toasts.
 */
class HeddleClient extends lc.LanguageClient {
    override error(message: string, data?: unknown, _showNotification?: boolean | 'force'): void {
        super.error(message, data, false);
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
