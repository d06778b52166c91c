// Shows the server's `window/showMessage`s: every one is logged, but a folder gets at most one
// open notification at a time, and none once the user chose "Don't Show Again for This Folder"
// (remembered per workspace; reset with the command Heddle: Reset "Don't Show Again"). A
// message whose next step is a heddle command offers to copy it.
import * as vscode from 'vscode';
import * as lc from 'vscode-languageclient/node';
import type { Ctx } from './ctx';
import { folderForMessage, folderName, hintCommand } from './status';

const suppressedKey = 'heddle.notifications.suppressedFolders';
/** A notification that is still open blocks the next one for its folder for at most this long. */
const openNotificationMs = 60 * 1000;

export class MessageGate {
    private readonly open = new Map<string, number>();

    constructor(
        private readonly ctx: Ctx,
        private readonly memento: vscode.Memento,
    ) {}

    private get suppressed(): string[] {
        return this.memento.get<string[]>(suppressedKey, []);
    }

    show(m: lc.ShowMessageParams): void {
        const level = m.type === lc.MessageType.Error ? 'error' : m.type === lc.MessageType.Warning ? 'warn' : 'info';
        this.ctx.log[level](`[notification] ${m.message}`);
        const folder = folderForMessage(m.message, this.ctx.allStatuses(), this.ctx.lastStateChange, Date.now());
        const key = folder ?? '*';
        if (this.suppressed.includes(key)) return;
        const openedAt = this.open.get(key);
        if (openedAt !== undefined && Date.now() - openedAt < openNotificationMs) {
            this.ctx.log.info('[notification] not shown: one is already open for this folder');
            return;
        }
        this.open.set(key, Date.now());
        const command = hintCommand(m.message) ?? hintCommand(folder ? this.ctx.statusOf(folder)?.hint : undefined);
        const copy = 'Copy Command';
        const dontShow = folder ? "Don't Show Again for This Folder" : "Don't Show Again";
        const actions = [...(command ? [copy] : []), ...(folder ? ['Explain'] : []), dontShow];
        const fn =
            m.type === lc.MessageType.Error
                ? vscode.window.showErrorMessage
                : m.type === lc.MessageType.Warning
                  ? vscode.window.showWarningMessage
                  : vscode.window.showInformationMessage;
        const text = folder && !m.message.includes(folderName(folder)) ? `heddle (${folderName(folder)}): ${m.message}` : m.message;
        void fn(text, ...actions).then(async (pick) => {
            this.open.delete(key);
            if (pick === dontShow) {
                await this.memento.update(suppressedKey, [...new Set([...this.suppressed, key])]);
            } else if (pick === 'Explain' && folder) {
                await vscode.commands.executeCommand('heddle.client.explain', folder);
            } else if (pick === copy && command) {
                await vscode.env.clipboard.writeText(command);
                vscode.window.setStatusBarMessage(`heddle: copied "${command}"`, 3000);
            }
        });
    }
}

export function resetSuppressedNotifications(ctx: Ctx): Thenable<void> {
    return ctx.extCtx.workspaceState.update(suppressedKey, []);
}
