// Activates the extension and wires its parts: settings, the client context (server,
// status bar, notifications), the repository watcher, the operations view, the report panels
// and the commands.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx, errorMessage } from './ctx';
import { OperationsView } from './operations_view';
import { ReportPanels } from './panels';
import { RepoWatcher } from './repo_watch';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const config = new Config(context.extensionPath);
    const c = (ctx = new Ctx(context, config));
    const ops = new OperationsView(c);
    const panels = new ReportPanels(vscode.Uri.joinPath(context.extensionUri, 'images', 'icon.png'));
    const repos = new RepoWatcher((folder) =>
        c.repositoryAppeared(folder).catch((e) => c.log.warn(`${folder.name}: ${errorMessage(e)}`)),
    );
    context.subscriptions.push(c, ops, panels, repos);
    registerCommands(context, { ctx: c, ops, panels });

    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration(async (e) => {
            if (config.needsRestart(e)) {
                if (c.state === 'idle' || c.state === 'stopped') return; // read at the next start
                c.log.info('server settings changed; restarting heddle-ls');
                await c.restart();
            } else if (e.affectsConfiguration('heddle.statusBar.show')) {
                c.render();
            }
            // The rest of `heddle.*` reaches the running server via didChangeConfiguration.
        }),
    );
    await c.startIfRepo();
}

export async function deactivate(): Promise<void> {
    await ctx?.stop();
    ctx = undefined;
}
