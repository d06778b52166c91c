// Activates the extension and wires its parts: settings, the client context (server,
// status bar, notifications), the operations view, the report documents and the commands.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';
import { ReportDocuments } from './docs';
import { OperationsView } from './operations_view';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const config = new Config(context.extensionPath);
    ctx = new Ctx(context, config);
    const ops = new OperationsView(ctx);
    const docs = new ReportDocuments();
    context.subscriptions.push(ctx, ops, docs);
    registerCommands(context, { ctx, ops, docs });

    const c = ctx;
    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration(async (e) => {
            if (config.needsRestart(e)) {
                c.log.info('server settings changed; restarting heddle-ls');
                if (c.state !== 'idle') await c.restart();
            } else if (e.affectsConfiguration('heddle.statusBar.show')) {
                c.render();
            }
            // The rest of `heddle.*` reaches the running server via didChangeConfiguration.
        }),
    );
    await ctx.startIfRepo();
}

export async function deactivate(): Promise<void> {
    await ctx?.stop();
    ctx = undefined;
}
