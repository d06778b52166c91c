// The "Heddle Operations" tree view: each heddle folder's most recent operations
// (`heddle.operations`, from the daemon or the heddle CLI), newest first, with a filter by
// actor, thread, verbs or symbol. With one heddle folder the operations are the top level;
// with several, each folder is a node.
//
// It stays true while shown: a folder reloads when the server says its operation log changed
// (`heddle/operationsChanged`), when its daemon comes back with another pid, and when it
// becomes queryable; a row whose relative age ("5m ago") would read differently re-renders.
// Nothing else redraws — a reload with the same answer, or a row whose text stays, leaves the
// tree (and the tooltip being read) alone. While hidden nothing is queried: changed folders
// are marked and reload when it shows again.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { errorMessage } from './ctx';
import * as ext from './lsp_ext';
import {
    OperationsFilter,
    describeFilter,
    formatAge,
    isEmptyFilter,
    nextAgeChangeMs,
    parseVerbs,
    renderOperation,
    toQuery,
} from './operations';
import { canQuery, folderName } from './status';

export type Node =
    | { kind: 'folder'; folder: string }
    | { kind: 'op'; folder: string; op: ext.Operation }
    | { kind: 'note'; folder: string; text: string; icon: string };

/** A folder's load in flight. */
interface Flight {
    /** The filter generation it queries with. */
    gen: number;
    /** Settles with whether the folder's rows changed. */
    done: Promise<boolean>;
    /** One more load after this one, shared by every request that needs an answer from after now. */
    again?: Promise<boolean>;
}

interface FolderResult {
    ops?: ext.Operation[];
    /** The rows, made once per result: the tree refreshes single rows by identity. */
    nodes?: Node[];
    error?: string;
    /** The daemon pid the result came from (0: the CLI or unknown). */
    pid: number;
}

export class OperationsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<Node | Node[] | undefined>();
    /** The age each row was last rendered with. */
    private readonly shownAge = new WeakMap<Node, string>();
    readonly onDidChangeTreeData = this.changed.event;
    private readonly results = new Map<string, FolderResult>();
    /** Per folder, its load in flight: a second request joins it instead of querying again. */
    private readonly inFlight = new Map<string, Flight>();
    /**
     * Bumped by setFilter: a load started under an older filter can finish after it, and its
     * answer must not overwrite the new filter's rows.
     */
    private generation = 0;
    /** Per folder, what of its status the tree last showed. */
    private readonly shownStatus = new Map<string, string>();
    /** Folders whose log changed while the view was hidden. */
    private readonly stale = new Set<string>();
    private filter: OperationsFilter = {};
    readonly view: vscode.TreeView<Node>;
    private ageTimer: NodeJS.Timeout | undefined;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly ctx: Ctx) {
        this.view = vscode.window.createTreeView('heddle.operations', { treeDataProvider: this });
        this.disposables.push(
            this.view,
            this.changed,
            ctx.onDidChangeStatus((s) => this.statusChanged(s)),
            ctx.onDidChangeOperations((folder) => this.logChanged(folder)),
            this.view.onDidChangeVisibility((e) => {
                // First rows come with the tree's first request (getChildren).
                if (!e.visible) {
                    this.stopAgeTimer();
                } else if (this.stale.size) {
                    void this.load([...this.stale]);
                } else {
                    this.redraw();
                }
            }),
        );
    }

    private statusChanged(list: readonly ext.FolderStatus[] | undefined): void {
        if (!list) {
            this.results.clear(); // the server restarted: every folder reports afresh
            this.shownStatus.clear();
            this.redraw();
            return;
        }
        const reload: string[] = [];
        const fresh: string[] = [];
        let redraw = false;
        for (const s of list) {
            const had = this.results.get(s.folder);
            // Another daemon answers now: a load in flight may have asked the old one.
            const newPid = had !== undefined && had.pid !== 0 && s.pid !== undefined && s.pid !== had.pid;
            const reloads = canQuery(s) && (!had || newPid || !had.ops);
            if (reloads) (newPid ? fresh : reload).push(s.folder);
            // What the tree shows of a status: the folder row's state, or the note in its place.
            const shown = `${canQuery(s)} ${s.state} ${s.message ?? ''}`;
            if (!reloads && this.shownStatus.get(s.folder) !== shown) redraw = true;
            this.shownStatus.set(s.folder, shown);
        }
        if (reload.length) this.reloadWhenShown(reload, false);
        if (fresh.length) this.reloadWhenShown(fresh, true);
        if (redraw) this.redraw();
    }

    private logChanged(folder: string): void {
        if (this.ctx.statusOf(folder) && this.folders().includes(folder)) this.reloadWhenShown([folder], true);
    }

    private reloadWhenShown(folders: string[], fresh: boolean): void {
        if (this.view.visible) void this.load(folders, fresh);
        else for (const f of folders) this.stale.add(f);
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

    /**
     * Queries `folder` (or every heddle folder, or those given) and redraws what changed.
     * A folder whose load is in flight is not queried twice: the request joins that load, or,
     * when `fresh` (the log changed, the user asked), gets one more load after it.
     */
    async load(folder?: string | string[], fresh = true): Promise<void> {
        const targets = folder === undefined ? this.folders() : typeof folder === 'string' ? [folder] : folder;
        const changed = await Promise.all(targets.map((f) => this.loadFolder(f, fresh)));
        const description = isEmptyFilter(this.filter) ? undefined : describeFilter(this.filter);
        if (description !== this.view.description) this.view.description = description;
        if (changed.some(Boolean)) this.redraw();
        else this.scheduleAges();
    }

    private loadFolder(f: string, fresh: boolean): Promise<boolean> {
        this.stale.delete(f);
        const cur = this.inFlight.get(f);
        if (cur && cur.gen === this.generation) {
            // The load that started it redraws; a join only waits.
            if (!fresh) return cur.done.then(() => false);
            cur.again ??= cur.done.then(() => this.loadFolder(f, false));
            return cur.again;
        }
        const flight: Flight = { gen: this.generation, done: this.query(f, this.generation) };
        // Cleared before `again` runs (it chains on `done` after this), so `again` starts afresh.
        flight.done = flight.done.finally(() => {
            if (this.inFlight.get(f) === flight) this.inFlight.delete(f);
        });
        this.inFlight.set(f, flight);
        return flight.done;
    }

    /** Queries one folder with the current filter; true when its rows changed. */
    private async query(f: string, gen: number): Promise<boolean> {
        const status = this.ctx.statusOf(f);
        if (status && !canQuery(status)) return this.results.delete(f);
        const pid = status?.queries === 'cli' ? 0 : (status?.pid ?? 0);
        let next: FolderResult;
        try {
            const r = await this.ctx.execute<ext.OperationsResult>(ext.serverCommands.operations, [
                f,
                toQuery(this.filter, this.ctx.config.operationsLimit),
            ]);
            next = { ops: r.hits ?? [], pid };
        } catch (e) {
            next = { error: errorMessage(e), pid };
        }
        if (gen !== this.generation) return false; // the filter changed meanwhile: not its rows
        const prev = this.results.get(f);
        if (prev && prev.error === next.error && JSON.stringify(prev.ops) === JSON.stringify(next.ops)) {
            prev.pid = pid;
            return false;
        }
        next.nodes = (next.ops ?? []).map((op) => ({ kind: 'op', folder: f, op }));
        this.results.set(f, next);
        return true;
    }

    private redraw(): void {
        this.changed.fire(undefined);
        this.scheduleAges();
    }

    /** Re-renders the rows whose relative age changed, when it changes, while the view is shown. */
    private scheduleAges(): void {
        this.stopAgeTimer();
        if (!this.view.visible) return;
        const stamps = [...this.results.values()].flatMap((r) => (r.ops ?? []).map((op) => op.timestampSecs));
        const wait = nextAgeChangeMs(stamps, Date.now() / 1000);
        if (wait === undefined) return;
        this.ageTimer = setTimeout(() => {
            const now = Date.now() / 1000;
            const rows = [...this.results.values()]
                .flatMap((r) => r.nodes ?? [])
                .filter((n) => n.kind === 'op' && this.shownAge.get(n) !== undefined && this.shownAge.get(n) !== formatAge(n.op.timestampSecs, now));
            if (rows.length) this.changed.fire(rows);
            this.scheduleAges();
        }, wait);
    }

    private stopAgeTimer(): void {
        if (this.ageTimer) clearTimeout(this.ageTimer);
        this.ageTimer = undefined;
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

    /** Narrows the current filter to this operation's actor or thread (item context menu). */
    async filterBy(node: Node | undefined, field: 'actor' | 'thread'): Promise<void> {
        if (node?.kind !== 'op') return;
        const value = field === 'actor' ? node.op.actorEmail : node.op.thread;
        if (value) await this.setFilter({ ...this.filter, [field]: value });
    }

    async setFilter(f: OperationsFilter): Promise<void> {
        // Before any await: a load under the old filter that finishes from here on is discarded.
        this.generation++;
        this.filter = f;
        this.results.clear();
        await vscode.commands.executeCommand('setContext', 'heddle.operations.filtered', !isEmptyFilter(f));
        // Not fresh: a load already in flight was started under the new filter.
        await this.load(undefined, false);
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
                const now = Date.now() / 1000;
                const v = renderOperation(node.op, now);
                this.shownAge.set(node, formatAge(node.op.timestampSecs, now));
                const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
                item.id = `op:${node.folder}#${node.op.seq}`;
                item.description = v.description;
                item.tooltip = new vscode.MarkdownString(v.tooltip);
                item.iconPath = new vscode.ThemeIcon('git-commit');
                item.contextValue = node.op.thread ? 'operation.thread' : 'operation';
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

    /**
     * The tree's rows. A folder that can be queried but has no rows yet is loaded here, and
     * the answer waits for that (and any load in flight): the first rows of a view that has
     * just opened come with the tree's own first request. Loading on the visibility event
     * instead raced that request — the workbench's tree joined our refresh to its first fetch,
     * already answered empty, and stayed on its welcome text.
     */
    getChildren(node?: Node): Node[] | Thenable<Node[]> {
        const missing = this.folders().filter((f) => {
            const st = this.ctx.statusOf(f);
            return st !== undefined && canQuery(st) && !this.results.has(f);
        });
        // (VS Code asks only for a view it shows; its visibility event may come later.)
        // Not fresh: a folder already loading is waited for, not queried again.
        if (missing.length) void this.load(missing, false);
        if (this.inFlight.size) {
            const pending = [...this.inFlight.values()].map((l) => l.again ?? l.done);
            return Promise.all(pending).then(() => this.childrenNow(node));
        }
        return this.childrenNow(node);
    }

    private childrenNow(node?: Node): Node[] {
        if (!node) {
            const folders = this.folders();
            if (folders.length === 1) return this.folderChildren(folders[0]);
            return folders.map((folder) => ({ kind: 'folder', folder }));
        }
        return node.kind === 'folder' ? this.folderChildren(node.folder) : [];
    }

    private folderChildren(folder: string): Node[] {
        const s = this.ctx.statusOf(folder);
        if (s && !canQuery(s)) {
            return [{ kind: 'note', folder, text: `daemon ${s.state}: ${s.message ?? ''}`, icon: 'warning' }];
        }
        const r = this.results.get(folder);
        if (!r) return [];
        if (r.error) return [{ kind: 'note', folder, text: r.error, icon: 'error' }];
        if (!r.ops || r.ops.length === 0) {
            return [{ kind: 'note', folder, text: isEmptyFilter(this.filter) ? 'no operations' : 'no operations match the filter', icon: 'info' }];
        }
        return r.nodes ?? [];
    }

    dispose(): void {
        this.stopAgeTimer();
        for (const d of this.disposables) d.dispose();
    }
}
