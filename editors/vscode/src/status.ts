// Pure aggregation and rendering of the heddle status bar item: every folder's `heddle/status`
// plus the language client's own state go in, one StatusView (text, icon, background, markdown
// tooltip, visibility) comes out. No `vscode` import, so it is unit-tested in plain node.
import type { FolderStatus, State } from './lsp_ext';

/** How bad a state is for the user. Ordered: a larger value is worse. */
export enum Severity {
    None = 0, // no repository: nothing to report
    Ok = 1,
    Busy = 2, // starting: wait
    Warning = 3, // no daemon runs (stopped, stale): the user may start one
    Error = 4, // a daemon is there but unusable, or the server itself failed
}

const stateSeverity: Record<State, Severity> = {
    'no-repo': Severity.None,
    ready: Severity.Ok,
    starting: Severity.Busy,
    stopped: Severity.Warning,
    stale: Severity.Warning,
    unreachable: Severity.Error,
    unhealthy: Severity.Error,
    'invalid-pidfile': Severity.Error,
    denied: Severity.Error,
};

export function severityOf(state: string): Severity {
    // An unknown state from a newer server is shown, as a warning, rather than ignored.
    return stateSeverity[state as State] ?? Severity.Warning;
}

/** Codicon per severity (rendered via `$(name)` in status bar text and markdown). */
export function iconOf(sev: Severity): string {
    switch (sev) {
        case Severity.None:
            return 'circle-slash';
        case Severity.Ok:
            return 'check';
        case Severity.Busy:
            return 'sync~spin';
        case Severity.Warning:
            return 'warning';
        case Severity.Error:
            return 'error';
    }
}

/** The language client as the status bar sees it. */
export type ClientState =
    | { kind: 'starting' }
    | { kind: 'running' }
    | { kind: 'idle' } // not started: no workspace folder is in a heddle repository
    | { kind: 'stopped' }
    | { kind: 'failed'; message: string };

export type ShowSetting = 'always' | 'whenRepo' | 'never';

export interface StatusView {
    visible: boolean;
    severity: Severity;
    /** Status bar text, with a leading `$(codicon)`. */
    text: string;
    /** Theme colour id for the background, or undefined for the default. */
    background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
    /** Markdown; command links must be in `tooltipCommands`. */
    tooltip: string;
    /** Short text for screen readers. */
    accessibleLabel: string;
}

/** Commands the tooltip links to; the MarkdownString must trust exactly these. */
export const tooltipCommands = [
    'heddle.client.refresh',
    'heddle.client.explain',
    'heddle.client.showOperations',
    'heddle.client.showLogs',
    'heddle.client.restartServer',
    'heddle.client.configureServerPath',
];

/** The display name of a folder URI: its last path segment, decoded. */
export function folderName(folderUri: string): string {
    const path = folderUri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/\/+$/, '');
    const last = path.slice(path.lastIndexOf('/') + 1);
    try {
        return decodeURIComponent(last) || folderUri;
    } catch {
        return last || folderUri;
    }
}

/** Escapes text so markdown shows it literally (messages come from the server and the disk). */
export function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => '\\' + c);
}

function commandLink(title: string, command: string, args?: unknown[]): string {
    const q = args === undefined ? '' : '?' + encodeURIComponent(JSON.stringify(args));
    return `[${title}](command:${command}${q})`;
}

/** Folders with a repository (anything but no-repo), in a stable order: worst first, then by name. */
export function sortedStatuses(statuses: Iterable<FolderStatus>): FolderStatus[] {
    return [...statuses].sort(
        (a, b) =>
            severityOf(b.state) - severityOf(a.state) ||
            folderName(a.folder).localeCompare(folderName(b.folder)) ||
            a.folder.localeCompare(b.folder),
    );
}

/** Renders the single status bar item for all folders. */
export function renderStatus(
    statuses: Iterable<FolderStatus>,
    client: ClientState,
    show: ShowSetting,
    pendingFolders = 0,
): StatusView {
    const all = sortedStatuses(statuses);
    const repos = all.filter((s) => s.state !== 'no-repo');
    const ready = repos.filter((s) => s.state === 'ready').length;

    if (client.kind === 'failed') {
        return {
            visible: show !== 'never',
            severity: Severity.Error,
            text: '$(error) heddle ✗',
            background: 'statusBarItem.errorBackground',
            tooltip: [
                '**heddle-ls is not running**',
                '',
                escapeMarkdown(client.message),
                '',
                [
                    commandLink('Show Logs', 'heddle.client.showLogs'),
                    commandLink('Configure Path', 'heddle.client.configureServerPath'),
                    commandLink('Restart Server', 'heddle.client.restartServer'),
                ].join(' · '),
            ].join('\n'),
            accessibleLabel: 'heddle: server not running',
        };
    }
    if (client.kind === 'idle') {
        return {
            visible: show === 'always',
            severity: Severity.None,
            text: '$(circle-slash) heddle',
            tooltip: '**heddle** — no heddle repository in this workspace',
            accessibleLabel: 'heddle: no repository',
        };
    }
    if (client.kind !== 'running' && all.length === 0) {
        const stopped = client.kind === 'stopped';
        return {
            visible: show !== 'never',
            severity: Severity.Busy,
            text: stopped ? '$(circle-slash) heddle' : '$(sync~spin) heddle',
            tooltip: stopped
                ? '**heddle-ls is stopped**\n\n' + commandLink('Restart Server', 'heddle.client.restartServer')
                : '**heddle-ls is starting…**',
            accessibleLabel: stopped ? 'heddle: server stopped' : 'heddle: starting',
        };
    }

    if (pendingFolders > 0) {
        // Until every folder has reported, an aggregate would flicker ("stopped", then "1/2").
        return {
            visible: show !== 'never',
            severity: Severity.Busy,
            text: '$(sync~spin) heddle',
            tooltip: `**heddle** — probing ${pendingFolders} more folder${pendingFolders === 1 ? '' : 's'}…`,
            accessibleLabel: 'heddle: probing',
        };
    }

    const worst = repos.reduce((w, s) => Math.max(w, severityOf(s.state)), Severity.None);
    const severity = repos.length === 0 ? Severity.None : worst;
    let suffix: string;
    if (repos.length === 0) {
        suffix = 'no repo';
    } else if (ready === repos.length) {
        suffix = '✓';
    } else if (repos.length === 1) {
        suffix = repos[0].state;
    } else {
        suffix = `${ready}/${repos.length}`;
    }
    const background =
        severity === Severity.Error
            ? 'statusBarItem.errorBackground'
            : severity === Severity.Warning
              ? 'statusBarItem.warningBackground'
              : undefined;

    return {
        visible: show === 'always' || (show === 'whenRepo' && repos.length > 0),
        severity,
        text: `$(${iconOf(severity)}) heddle ${suffix}`,
        background,
        tooltip: renderTooltip(all, repos.length, ready),
        accessibleLabel:
            repos.length === 0
                ? 'heddle: no repository'
                : `heddle: ${ready} of ${repos.length} daemons ready`,
    };
}

/** The markdown tooltip: a summary line, then every folder with its state, message and hint. */
export function renderTooltip(all: FolderStatus[], repoCount: number, ready: number): string {
    const out: string[] = [];
    out.push(
        repoCount === 0
            ? '**heddle** — no heddle repository in this workspace'
            : `**heddle** — ${ready} of ${repoCount} daemon${repoCount === 1 ? '' : 's'} ready`,
    );
    for (const s of all) {
        const name = folderName(s.folder);
        out.push('', '---', '');
        out.push(`$(${iconOf(severityOf(s.state))}) **${escapeMarkdown(name)}** — \`${s.state}\``);
        if (s.message) out.push('', escapeMarkdown(s.message));
        if (s.hint) out.push('', `*Next:* ${escapeMarkdown(s.hint)}`);
        if (s.state !== 'no-repo') {
            const links = [commandLink('Refresh', 'heddle.client.refresh', [s.folder])];
            links.push(commandLink('Explain', 'heddle.client.explain', [s.folder]));
            if (s.state === 'ready') {
                links.push(commandLink('Operations', 'heddle.client.showOperations', [s.folder]));
            }
            out.push('', links.join(' · '));
        }
    }
    out.push('', '---', '', commandLink('Show Logs', 'heddle.client.showLogs'));
    return out.join('\n');
}

/**
 * Which folder a server `window/showMessage` is about. The contract does not put the folder in
 * the message, so: a folder whose path (root, heddle dir, or folder path) the message mentions,
 * longest match first; else the one folder whose name it mentions as "(name)"; else the
 * folder whose status changed last, if that was within
 * `windowMs` (the server sends the message right after the status that caused it).
 */
export function folderForMessage(
    message: string,
    statuses: Iterable<FolderStatus>,
    lastChange: { folder: string; atMs: number } | undefined,
    nowMs: number,
    windowMs = 2000,
): string | undefined {
    let best: { folder: string; len: number } | undefined;
    for (const s of statuses) {
        const path = decodeURIComponentSafe(s.folder.replace(/^file:\/\//, ''));
        for (const p of [s.root, s.heddleDir, path]) {
            if (p && p.length > 1 && message.includes(p) && (!best || p.length > best.len)) {
                best = { folder: s.folder, len: p.length };
            }
        }
    }
    if (best) return best.folder;
    // heddle-ls words its messages "heddle (<folder name>): …".
    const named = [...statuses].filter((s) => message.includes(`(${folderName(s.folder)})`));
    if (named.length === 1) return named[0].folder;
    if (lastChange && nowMs - lastChange.atMs <= windowMs) return lastChange.folder;
    return undefined;
}

function decodeURIComponentSafe(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}
