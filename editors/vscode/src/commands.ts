// One function per client command. Client ids are `heddle.client.*`: the server's own command
// ids (`heddle.status`, …) are registered by vscode-languageclient, and registering them
// twice throws.
import * as vscode from 'vscode';
import { Ctx, UserError, errorMessage, showWithActions } from './ctx';
import * as ext from './lsp_ext';
import { resetSuppressedNotifications } from './notifications';
import { Node, OperationsView } from './operations_view';
import { ReportPanels } from './panels';
import { renderExplain, renderHooks, renderSignalHealth } from './reports';
import { canQuery, displayNames, folderName, iconOf, sortedStatuses } from './status';

export interface Deps {
    ctx: Ctx;
    ops: OperationsView;
    panels: ReportPanels;
}

type Cmd = (deps: Deps, ...args: unknown[]) => unknown;

export const commands: Record<string, Cmd> = {
    'heddle.client.showStatus': async (d) => {
        await d.ctx.startIfRepo(true);
        await showStatus(d);
    },
    'heddle.client.refresh': (d, folder) => refresh(d, asFolder(folder)),
    'heddle.client.explain': (d, folder) => explain(d, asFolder(folder)),
    'heddle.client.showOperations': (d, folder) => d.ops.reveal(asFolder(folder)),
    'heddle.client.operations.refresh': (d) => d.ops.load(),
    'heddle.client.operations.filter': (d) => d.ops.editFilter(),
    'heddle.client.operations.clearFilter': (d) => d.ops.setFilter({}),
    'heddle.client.operations.copyOperationId': (_d, node) => copy(asOp(node)?.operationId, 'operation id'),
    'heddle.client.operations.copyStateId': (_d, node) => copy(asOp(node)?.stateRef || asOp(node)?.stateId, 'state id'),
    'heddle.client.operations.filterByActor': (d, node) => d.ops.filterBy(node as Node, 'actor'),
    'heddle.client.operations.filterByThread': (d, node) => d.ops.filterBy(node as Node, 'thread'),
    'heddle.client.signalHealth': (d, folder) => signalHealth(d, asFolder(folder)),
    'heddle.client.hooks': (d, folder) => hooks(d, asFolder(folder)),
    'heddle.client.restartServer': (d) => d.ctx.restart(),
    // From the failed state a server process may linger: restarting covers every case.
    'heddle.client.startServer': (d) => (d.ctx.state === 'running' || d.ctx.state === 'starting' ? undefined : d.ctx.restart()),
    'heddle.client.stopServer': (d) => d.ctx.stop(),
    'heddle.client.showVersion': (d) => showVersion(d),
    'heddle.client.showLogs': (d) => d.ctx.log.show(true),
    'heddle.client.resetNotifications': async (d) => {
        await resetSuppressedNotifications(d.ctx);
        void vscode.window.showInformationMessage('heddle: notifications will be shown again for every folder.');
    },
    'heddle.client.configureServerPath': () =>
        vscode.commands.executeCommand('workbench.action.openSettings', 'heddle.server.path'),
};

export function registerCommands(context: vscode.ExtensionContext, deps: Deps): void {
    for (const [id, fn] of Object.entries(commands)) {
        context.subscriptions.push(
            vscode.commands.registerCommand(id, async (...args: unknown[]): Promise<unknown> => {
                try {
                    return await fn(deps, ...args);
                } catch (e) {
                    reportError(deps.ctx, id, e);
                    return undefined;
                }
            }),
        );
    }
}

/** Shows a failed command's error, with the buttons a UserError carries. */
function reportError(ctx: Ctx, id: string, e: unknown): void {
    if (!(e instanceof UserError)) ctx.log.error(`${id}: ${errorMessage(e)}`);
    showWithActions('error', `heddle: ${errorMessage(e)}`, e instanceof UserError ? e.actions : []);
}

/** A folder argument from a tooltip link (URI string), a menu (Uri) or a workspace folder. */
function asFolder(arg: unknown): string | undefined {
    if (typeof arg === 'string') return arg;
    if (arg instanceof vscode.Uri) return arg.toString();
    if (arg && typeof arg === 'object' && 'uri' in arg && (arg as { uri: unknown }).uri instanceof vscode.Uri) {
        return (arg as vscode.WorkspaceFolder).uri.toString();
    }
    return undefined;
}

function asOp(node: unknown): ext.Operation | undefined {
    const n = node as Node | undefined;
    return n?.kind === 'op' ? n.op : undefined;
}

async function copy(text: string | undefined, what: string): Promise<void> {
    if (!text) return;
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`heddle: copied ${what} ${text}`, 3000);
}

/** The folder to act on: the given one, the only heddle folder, or the user's pick. */
async function pickFolder(ctx: Ctx, folder: string | undefined, title: string): Promise<string | undefined> {
    if (folder) return folder;
    const repos = sortedStatuses(await ctx.freshStatuses()).filter((s) => s.state !== 'no-repo');
    if (repos.length === 0) {
        throw new UserError('no workspace folder is in a heddle repository');
    }
    if (repos.length === 1) return repos[0].folder;
    const names = displayNames(repos.map((s) => s.folder));
    const pick = await vscode.window.showQuickPick(
        repos.map((s) => ({
            label: `$(${iconOf(s)}) ${names.get(s.folder)}`,
            description: s.state,
            detail: s.message,
            folder: s.folder,
        })),
        { title, placeHolder: 'Workspace folder' },
    );
    return pick?.folder;
}

type Action = vscode.QuickPickItem & { run?: () => unknown };

/** Actions for the whole server, at the end of the status pickers. */
function serverActions(d: Deps): Action[] {
    return [
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        { label: '$(refresh) Refresh All', run: () => refresh(d, undefined) },
        { label: '$(debug-restart) Restart Server', run: () => d.ctx.restart() },
        { label: '$(output) Show Logs', run: () => d.ctx.log.show(true) },
    ];
}

/**
 * The status bar's click. With one heddle folder: straight to its actions; with several:
 * every folder with its state, pick one for its actions.
 */
async function showStatus(d: Deps): Promise<void> {
    const all = sortedStatuses(d.ctx.running ? await d.ctx.freshStatuses() : d.ctx.allStatuses());
    const repos = all.filter((s) => s.state !== 'no-repo');
    if (repos.length === 1) return folderActions(d, repos[0], true);
    const names = displayNames(all.map((s) => s.folder));
    const items: Action[] = all.map((s) => ({
        label: `$(${iconOf(s)}) ${names.get(s.folder)}`,
        description: s.state,
        detail: [s.message, s.hint].filter(Boolean).join(' — '),
        run: () => folderActions(d, s, false),
    }));
    if (!d.ctx.running) {
        items.unshift({
            label: d.ctx.state === 'failed' ? '$(error) heddle-ls failed' : `$(circle-slash) heddle-ls ${d.ctx.state}`,
            run: () => d.ctx.log.show(true),
        });
    }
    items.push(...serverActions(d));
    const pick = await vscode.window.showQuickPick(items, {
        title: 'Heddle',
        placeHolder: 'Pick a folder for its actions',
        matchOnDescription: true,
        matchOnDetail: true,
    });
    await pick?.run?.();
}

async function folderActions(d: Deps, s: ext.FolderStatus, withServer: boolean): Promise<void> {
    const items: Action[] = [
        { label: '$(refresh) Refresh', run: () => refresh(d, s.folder) },
        { label: '$(info) Explain Status', description: 'every probe step, with timing', run: () => explain(d, s.folder) },
    ];
    if (canQuery(s)) {
        items.push(
            { label: '$(history) Show Recent Operations', run: () => d.ops.reveal(s.folder) },
            { label: '$(pulse) Show Signal Health', run: () => signalHealth(d, s.folder) },
            { label: '$(plug) Show Hooks', run: () => hooks(d, s.folder) },
        );
    }
    if (s.socket) {
        items.push({ label: '$(copy) Copy Socket Path', description: s.socket, run: () => copy(s.socket, 'socket path') });
    }
    if (withServer) items.push(...serverActions(d));
    const pick = await vscode.window.showQuickPick(items, {
        title: `Heddle: ${folderName(s.folder)} — ${s.state}`,
        placeHolder: s.hint || s.message,
    });
    await pick?.run?.();
}

async function showVersion(d: Deps): Promise<void> {
    const extVersion = (d.ctx.extCtx.extension.packageJSON as { version?: string }).version ?? '?';
    const server = d.ctx.config.serverPath();
    const running = d.ctx.serverVersion;
    const text = running
        ? `heddle-ls ${running} (${server.source}: ${server.path}) · Heddle extension ${extVersion}`
        : `heddle-ls is not running (would start ${server.path}, ${server.source}) · Heddle extension ${extVersion}`;
    const pick = await vscode.window.showInformationMessage(text, 'Copy');
    if (pick === 'Copy') await vscode.env.clipboard.writeText(text);
}

async function refresh(d: Deps, folder: string | undefined): Promise<void> {
    const fresh = await d.ctx.execute<ext.FolderStatus[]>(ext.serverCommands.refresh, folder ? [folder] : []);
    d.ctx.mergeStatuses(fresh);
    const n = fresh?.length ?? 0;
    vscode.window.setStatusBarMessage(`heddle: re-probed ${n} folder${n === 1 ? '' : 's'}`, 3000);
}

/** The name a report shows for `folder`: its base name, told apart from same-named folders. */
function reportName(folder: string): string {
    const all = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString());
    return displayNames([...all, folder]).get(folder) ?? folderName(folder);
}

async function explain(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Explain heddle status');
    if (!f) return;
    const r = await d.ctx.execute<ext.ExplainResult>(ext.serverCommands.explain, [f]);
    d.panels.show('explain', f, renderExplain(r, d.ctx.statusOf(f), reportName(f)));
}

async function signalHealth(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Show signal health');
    if (!f) return;
    const r = await d.ctx.execute<ext.SignalHealthResult>(ext.serverCommands.signalHealth, [f, {}]);
    d.panels.show('signal-health', f, renderSignalHealth(r, reportName(f)));
}

async function hooks(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Show hooks');
    if (!f) return;
    const r = await d.ctx.execute<ext.HooksResult>(ext.serverCommands.hooks, [f]);
    d.panels.show('hooks', f, renderHooks(r, reportName(f)));
}
