// One function per client command. Client ids are `heddle.client.*`: the server's own command
// ids (`heddle.status`, …) are registered by vscode-languageclient, and registering them
// twice throws.
import * as vscode from 'vscode';
import { Ctx, errorMessage, resetSuppressedNotifications } from './ctx';
import { ReportDocuments } from './docs';
import * as ext from './lsp_ext';
import { OperationsView } from './operations_view';
import { renderExplain, renderHooks, renderSignalHealth } from './reports';
import { folderName, iconOf, severityOf, sortedStatuses } from './status';

export interface Deps {
    ctx: Ctx;
    ops: OperationsView;
    docs: ReportDocuments;
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
    'heddle.client.signalHealth': (d, folder) => signalHealth(d, asFolder(folder)),
    'heddle.client.hooks': (d, folder) => hooks(d, asFolder(folder)),
    'heddle.client.restartServer': (d) => d.ctx.restart(),
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
                    deps.ctx.log.error(`${id}: ${errorMessage(e)}`);
                    void vscode.window.showErrorMessage(`heddle: ${errorMessage(e)}`);
                    return undefined;
                }
            }),
        );
    }
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

/** The folder to act on: the given one, the only heddle folder, or the user's pick. */
async function pickFolder(ctx: Ctx, folder: string | undefined, title: string): Promise<string | undefined> {
    if (folder) return folder;
    const repos = sortedStatuses(ctx.allStatuses()).filter((s) => s.state !== 'no-repo');
    if (repos.length === 0) {
        throw new Error('no workspace folder is in a heddle repository');
    }
    if (repos.length === 1) return repos[0].folder;
    const pick = await vscode.window.showQuickPick(
        repos.map((s) => ({
            label: `$(${iconOf(severityOf(s.state))}) ${folderName(s.folder)}`,
            description: s.state,
            detail: s.message,
            folder: s.folder,
        })),
        { title, placeHolder: 'Workspace folder' },
    );
    return pick?.folder;
}

/** The status bar's click: every folder with its state; pick one for its actions. */
async function showStatus(d: Deps): Promise<void> {
    type Item = vscode.QuickPickItem & { run?: () => unknown };
    const items: Item[] = sortedStatuses(d.ctx.allStatuses()).map((s) => ({
        label: `$(${iconOf(severityOf(s.state))}) ${folderName(s.folder)}`,
        description: s.state,
        detail: [s.message, s.hint].filter(Boolean).join(' — '),
        run: () => folderActions(d, s),
    }));
    items.push(
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        { label: '$(refresh) Refresh All', run: () => refresh(d, undefined) },
        { label: '$(debug-restart) Restart Server', run: () => d.ctx.restart() },
        { label: '$(output) Show Logs', run: () => d.ctx.log.show(true) },
    );
    const pick = await vscode.window.showQuickPick(items, {
        title: 'Heddle',
        placeHolder: 'Pick a folder for its actions',
        matchOnDescription: true,
        matchOnDetail: true,
    });
    await pick?.run?.();
}

async function folderActions(d: Deps, s: ext.FolderStatus): Promise<void> {
    type Item = vscode.QuickPickItem & { run: () => unknown };
    const ready = s.state === 'ready';
    const items: Item[] = [
        { label: '$(refresh) Refresh', run: () => refresh(d, s.folder) },
        { label: '$(info) Explain Status', description: 'every probe step, with timing', run: () => explain(d, s.folder) },
    ];
    if (ready) {
        items.push(
            { label: '$(history) Show Recent Operations', run: () => d.ops.reveal(s.folder) },
            { label: '$(pulse) Show Signal Health', run: () => signalHealth(d, s.folder) },
            { label: '$(plug) Show Hooks', run: () => hooks(d, s.folder) },
        );
    }
    if (s.socket) {
        items.push({ label: '$(copy) Copy Socket Path', description: s.socket, run: () => vscode.env.clipboard.writeText(s.socket!) });
    }
    const pick = await vscode.window.showQuickPick(items, {
        title: `Heddle: ${folderName(s.folder)} — ${s.state}`,
        placeHolder: s.hint || s.message,
    });
    await pick?.run();
}

async function refresh(d: Deps, folder: string | undefined): Promise<void> {
    const fresh = await d.ctx.execute<ext.FolderStatus[]>(ext.serverCommands.refresh, folder ? [folder] : []);
    d.ctx.mergeStatuses(fresh);
    const n = fresh?.length ?? 0;
    vscode.window.setStatusBarMessage(`heddle: re-probed ${n} folder${n === 1 ? '' : 's'}`, 3000);
}

async function explain(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Explain heddle status');
    if (!f) return;
    const r = await d.ctx.execute<ext.ExplainResult>(ext.serverCommands.explain, [f]);
    await d.docs.show(`explain-${folderName(f)}`, renderExplain(r));
}

async function signalHealth(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Show signal health');
    if (!f) return;
    const r = await d.ctx.execute<ext.SignalHealthResult>(ext.serverCommands.signalHealth, [f, {}]);
    await d.docs.show(`signal-health-${folderName(f)}`, renderSignalHealth(r));
}

async function hooks(d: Deps, folder: string | undefined): Promise<void> {
    const f = await pickFolder(d.ctx, folder, 'Show hooks');
    if (!f) return;
    const r = await d.ctx.execute<ext.HooksResult>(ext.serverCommands.hooks, [f]);
    await d.docs.show(`hooks-${folderName(f)}`, renderHooks(r));
}
