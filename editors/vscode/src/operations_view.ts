// The "Heddle Operations" tree view: each ready folder's most recent operations from the
// daemon (`heddle.operations`), newest first, with a filter by actor, thread, verbs or symbol.
// With one heddle folder the operations are the top level; with several, each folder is a node.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { errorMessage } from './ctx';
import * as ext from './lsp_ext';
import {
    OperationsFilter,
    describeFilter,
    isEmptyFilter,
    parseVerbs,
    renderOperation,
    toQuery,
} from './operations';
import { folderName } from './status';

type Node =
    | { kind: 'folder'; folder: string }
    | { kind: 'op'; folder: string; op: ext.Operation }
    | { kind: 'note'; folder: string; text: string; icon: string };

interface FolderResult {
    ops?: ext.Operation[];
    error?: string;
}

export class OperationsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<Node | undefined>();
    readonly onDidChangeTreeData = this.changed.event;
    private readonly results = new Map<string, FolderResult>();
    private filter: OperationsFilter = {};
    readonly view: vscode.TreeView<Node>;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly ctx: Ctx) {
        this.view = vscode.window.createTreeView('heddle.operations', { treeDataProvider: this });
        this.disposables.push(
            this.view,
            this.changed,
            // Reload a folder when its daemon becomes ready while the view is shown; forget
            // everything when the server restarts.
            ctx.onDidChangeStatus((s) => {
                if (!s) {
                    this.results.clear();
                } else if (s.state === 'ready' && this.view.visible && !this.results.get(s.folder)?.ops) {
                    void this.load(s.folder);
                    return;
                }
                this.changed.fire(undefined);
            }),
            this.view.onDidChangeVisibility((e) => {
                if (e.visible && this.results.size === 0) void this.load();
            }),
        );
    }

    /** Heddle folders (anything but no-repo), in workspace order. */
    private folders(): string[] {
        const order = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString());
        return this.ctx
            .allStatuses()
            .filter((s) => s.state !== 'no-repo')
            .map((s) => s.folder)
            .sort((a, b) => order.indexOf(a) - order.indexOf(b));
    }

    /** Queries the daemon of `folder` (or of every ready folder) and redraws. */
    async load(folder?: string): Promise<void> {
        const targets = folder ? [folder] : this.folders();
        const limit = this.ctx.config.operationsLimit;
        await Promise.all(
            targets.map(async (f) => {
                const status = this.ctx.statusOf(f);
                if (status && status.state !== 'ready') {
                    this.results.delete(f);
                    return;
                }
                try {
                    const r = await this.ctx.execute<ext.OperationsResult>(ext.serverCommands.operations, [
                        f,
                        toQuery(this.filter, limit),
                    ]);
                    this.results.set(f, { ops: r.hits ?? [] });
                } catch (e) {
                    this.results.set(f, { error: errorMessage(e) });
                }
            }),
        );
        this.view.description = isEmptyFilter(this.filter) ? undefined : describeFilter(this.filter);
        this.changed.fire(undefined);
    }

    async reveal(folder?: string): Promise<void> {
        await vscode.commands.executeCommand('heddle.operations.focus');
        await this.load(folder);
    }

    async editFilter(): Promise<void> {
        type Field = 'actor' | 'thread' | 'verbs' | 'symbol' | 'clear';
        const f = this.filter;
        const items: (vscode.QuickPickItem & { field: Field })[] = [
            { label: '$(person) Actor', description: f.actor ?? '', field: 'actor' },
            { label: '$(git-branch) Thread', description: f.thread ?? '', field: 'thread' },
            { label: '$(symbol-event) Verbs', description: (f.verbs ?? []).join(', '), field: 'verbs' },
            { label: '$(symbol-method) Symbol', description: f.symbol ?? '', field: 'symbol' },
            { label: '$(clear-all) Clear Filter', field: 'clear' },
        ];
        const pick = await vscode.window.showQuickPick(items, { title: 'Filter Heddle Operations', placeHolder: 'Filter by…' });
        if (!pick) return;
        if (pick.field === 'clear') {
            await this.setFilter({});
            return;
        }
        const current = pick.field === 'verbs' ? (f.verbs ?? []).join(', ') : (f[pick.field] ?? '');
        const value = await vscode.window.showInputBox({
            title: `Filter Heddle Operations by ${pick.field}`,
            value: current,
            prompt:
                pick.field === 'verbs'
                    ? 'Verbs separated by commas or spaces (empty: any verb)'
                    : `Exact ${pick.field} (empty: any)`,
        });
        if (value === undefined) return;
        const next: OperationsFilter = { ...f };
        if (pick.field === 'verbs') next.verbs = parseVerbs(value);
        else next[pick.field] = value.trim() || undefined;
        await this.setFilter(next);
    }

    async setFilter(f: OperationsFilter): Promise<void> {
        this.filter = f;
        await vscode.commands.executeCommand('setContext', 'heddle.operations.filtered', !isEmptyFilter(f));
        this.results.clear();
        await this.load();
    }

    getTreeItem(node: Node): vscode.TreeItem {
        switch (node.kind) {
            case 'folder': {
                const s = this.ctx.statusOf(node.folder);
                const item = new vscode.TreeItem(folderName(node.folder), vscode.TreeItemCollapsibleState.Expanded);
                item.id = `folder:${node.folder}`;
                item.description = s?.state;
                item.iconPath = new vscode.ThemeIcon('repo');
                item.contextValue = 'folder';
                return item;
            }
            case 'op': {
                const v = renderOperation(node.op, Date.now() / 1000);
                const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
                item.id = `op:${node.folder}#${node.op.seq}`;
                item.description = v.description;
                item.tooltip = new vscode.MarkdownString(v.tooltip);
                item.iconPath = new vscode.ThemeIcon('git-commit');
                item.contextValue = 'operation';
                return item;
            }
            case 'note': {
                const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
                item.iconPath = new vscode.ThemeIcon(node.icon);
                item.contextValue = 'note';
                return item;
            }
        }
    }

    getChildren(node?: Node): Node[] {
        if (!node) {
            const folders = this.folders();
            if (folders.length === 1) return this.folderChildren(folders[0]);
            return folders.map((folder) => ({ kind: 'folder', folder }));
        }
        return node.kind === 'folder' ? this.folderChildren(node.folder) : [];
    }

    private folderChildren(folder: string): Node[] {
        const s = this.ctx.statusOf(folder);
        if (s && s.state !== 'ready') {
            return [{ kind: 'note', folder, text: `daemon ${s.state}: ${s.message ?? ''}`, icon: 'warning' }];
        }
        const r = this.results.get(folder);
        if (!r) return [];
        if (r.error) return [{ kind: 'note', folder, text: r.error, icon: 'error' }];
        if (!r.ops || r.ops.length === 0) {
            return [{ kind: 'note', folder, text: isEmptyFilter(this.filter) ? 'no operations' : 'no operations match the filter', icon: 'info' }];
        }
        return r.ops.map((op) => ({ kind: 'op', folder, op }));
    }

    dispose(): void {
        for (const d of this.disposables) d.dispose();
    }
}
