// Read-only markdown documents under the `heddle:` scheme (explain, signal health, hooks),
// opened in the markdown preview. Virtual documents: nothing to save, nothing left dirty.
import * as vscode from 'vscode';

export const scheme = 'heddle';

export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly contents = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;
    private readonly registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? '';
    }

    /** Shows `markdown` as `heddle:/<name>.md`, replacing an earlier version of the same report. */
    async show(name: string, markdown: string): Promise<void> {
        const uri = vscode.Uri.from({ scheme, path: `/${name.replace(/[/\\]/g, '_')}.md` });
        this.contents.set(uri.toString(), markdown);
        this.changed.fire(uri);
        try {
            await vscode.commands.executeCommand('markdown.showPreview', uri);
        } catch {
            // Without the built-in markdown extension: the source is still readable.
            const doc = await vscode.workspace.openTextDocument(uri);
            await vscode.window.showTextDocument(doc, { preview: true });
        }
    }

    dispose(): void {
        this.registration.dispose();
        this.changed.dispose();
    }
}
