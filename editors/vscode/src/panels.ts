// The report panels (explain, signal health, hooks): one webview panel per report and folder,
// so two folders with the same base name get two panels, reused when the report is shown
// again. A webview rather than the markdown preview: the title is ours ("Heddle Status:
// alpha", not "Preview explain-alpha.md") and long details wrap.
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { Report } from './reports';

export type ReportKind = 'explain' | 'signal-health' | 'hooks';

export class ReportPanels implements vscode.Disposable {
    private readonly panels = new Map<string, vscode.WebviewPanel>();

    constructor(private readonly iconPath: vscode.Uri) {}

    show(kind: ReportKind, folder: string, report: Report): void {
        const key = `${kind} ${folder}`;
        let panel = this.panels.get(key);
        if (panel) {
            panel.reveal(undefined, false);
        } else {
            panel = vscode.window.createWebviewPanel(`heddle.${kind}`, report.title, vscode.ViewColumn.Active, {
                enableScripts: false,
                enableFindWidget: true,
            });
            panel.iconPath = this.iconPath;
            this.panels.set(key, panel);
            panel.onDidDispose(() => this.panels.delete(key));
        }
        panel.title = report.title;
        panel.webview.html = page(report);
    }

    dispose(): void {
        for (const p of this.panels.values()) p.dispose();
        this.panels.clear();
    }
}

function page(report: Report): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 20px 20px; line-height: 1.45; }
h1 { font-size: 1.5em; font-weight: 600; margin: 0.8em 0 0.4em; }
h2 { font-size: 1.15em; font-weight: 600; margin: 1.2em 0 0.4em; }
.state { font-size: 0.7em; font-weight: normal; padding: 1px 8px; border-radius: 10px; vertical-align: middle; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.hint { border-left: 3px solid var(--vscode-textLink-foreground); padding-left: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
td:last-child { overflow-wrap: anywhere; }
td:not(:last-child), thead th { white-space: nowrap; }
thead th { font-weight: 600; }
.facts th { width: 9em; font-weight: 600; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
code { font-family: var(--vscode-editor-font-family); font-size: 0.95em; overflow-wrap: anywhere; }
td.bad { color: var(--vscode-errorForeground); }
td.ok { color: var(--vscode-testing-iconPassed, inherit); }
</style></head>
<body>
${report.body}
</body></html>`;
}
