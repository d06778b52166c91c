// Notices a heddle repository that appears in an open folder after the window opened
// (`heddle init`, a clone that finished): VS Code evaluates `workspaceContains:.heddle` only
// when the window opens, and a running server looks at a no-repo folder again only when asked.
// A repository is there once `.heddle/objects/` or the `.heddle/objectstore` pointer exists
// (what the server's discovery needs); `.heddle` itself is watched too, because a quick
// `mkdir -p .heddle/objects` can reach us as one event for the parent.
import * as vscode from 'vscode';
import { inHeddleRepo } from './config';

const pattern = '{.heddle,.heddle/objects,.heddle/objectstore}';

export class RepoWatcher implements vscode.Disposable {
    private readonly watchers = new Map<string, vscode.Disposable>();
    /**
     * Folders whose onRepository is running. One `heddle init` creates .heddle, .heddle/objects
     * and .heddle/objectstore: one check (one start or refresh) is enough for all of them.
     */
    private readonly checking = new Set<string>();
    private readonly subscription: vscode.Disposable;

    constructor(private readonly onRepository: (folder: vscode.WorkspaceFolder) => unknown) {
        this.subscription = vscode.workspace.onDidChangeWorkspaceFolders(() => this.sync());
        this.sync();
    }

    /** One watcher per local workspace folder, created and dropped with the folders. */
    private sync(): void {
        const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
        const keep = new Set(folders.map((f) => f.uri.toString()));
        for (const [key, w] of this.watchers) {
            if (!keep.has(key)) {
                w.dispose();
                this.watchers.delete(key);
            }
        }
        for (const folder of folders) {
            const key = folder.uri.toString();
            if (this.watchers.has(key)) continue;
            const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, pattern), false, true, true);
            const sub = w.onDidCreate(() => this.check(folder));
            this.watchers.set(key, vscode.Disposable.from(sub, w));
        }
    }

    private check(folder: vscode.WorkspaceFolder): void {
        const key = folder.uri.toString();
        if (this.checking.has(key) || !inHeddleRepo(folder.uri.fsPath)) return;
        this.checking.add(key);
        void Promise.resolve(this.onRepository(folder)).finally(() => this.checking.delete(key));
    }

    dispose(): void {
        this.subscription.dispose();
        for (const w of this.watchers.values()) w.dispose();
        this.watchers.clear();
    }
}
