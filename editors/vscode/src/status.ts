// Pure aggregation and rendering of the heddle status bar item: every folder's `heddle/status`
// plus the language client's own state go in, one StatusView (text, background, markdown
// tooltip, visibility) comes out. No `vscode` import, so it is unit-tested in plain node.
//
// Colour comes from the server's `health` verdict (second edition), never from a table of
// states of our own: a status without `health` (an older server) renders neutral.
import type { FolderStatus, Health } from './lsp_ext';

/** The language client as the status bar sees it. */
export type ClientState =
    | { kind: 'starting' }
    | { kind: 'running' }
    | { kind: 'idle' } // not started: no workspace folder is in a heddle repository
    | { kind: 'stopped' } // stopped by the user (Stop Server)
    | { kind: 'failed'; message: string; cause: FailureCause };

/**
 * Why the server is not running: what the user can do about it differs. `not-found`: fix the
 * path; `crashed`: it kept exiting (Restart, and read the logs); `platform`: heddle-ls cannot
 * run on this OS; `start`: it failed to start (spawn error, initialize failed).
 */
export type FailureCause = 'not-found' | 'crashed' | 'platform' | 'start';

export type ShowSetting = 'always' | 'whenRepo' | 'never';

/** A button (notification) or link (tooltip) that runs a client command. */
export interface CommandAction {
    title: string;
    command: string;
}

export const showLogsAction: CommandAction = { title: 'Show Logs', command: 'heddle.client.showLogs' };
export const restartServerAction: CommandAction = { title: 'Restart Server', command: 'heddle.client.restartServer' };
export const startServerAction: CommandAction = { title: 'Start Server', command: 'heddle.client.startServer' };
export const configurePathAction: CommandAction = { title: 'Configure Path', command: 'heddle.client.configureServerPath' };

/**
 * What helps after a failure, most useful first: the failed state's tooltip links and the
 * failure's notification buttons both come from here, so they cannot drift apart. Restarting
 * cannot help on an OS heddle-ls does not run on; the logs still say what was tried.
 */
export function failureActions(cause: FailureCause): CommandAction[] {
    switch (cause) {
        case 'not-found':
            return [configurePathAction, restartServerAction, showLogsAction];
        case 'crashed':
            return [restartServerAction, showLogsAction];
        case 'start':
            return [showLogsAction, configurePathAction, restartServerAction];
        case 'platform':
            return [showLogsAction];
    }
}

export interface StatusView {
    visible: boolean;
    /** Status bar text, with exactly one leading `$(codicon)`. */
    text: string;
    /** Theme colour id for the background, or undefined for the default. */
    background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
    /** Markdown; command links must be in `tooltipCommands`. */
    tooltip: string;
    /** Short text for screen readers. */
    accessibleLabel: string;
}

export interface RenderOptions {
    /** Folders the server has not reported yet (while it runs). */
    pendingFolders?: number;
    /** serverInfo.version of the running heddle-ls. */
    serverVersion?: string;
    /** For "since" times; defaults to now. */
    nowMs?: number;
}

/** Commands the tooltip links to; the MarkdownString must trust exactly these. */
export const tooltipCommands = [
    'heddle.client.refresh',
    'heddle.client.explain',
    'heddle.client.showOperations',
    'heddle.client.showLogs',
    'heddle.client.restartServer',
    'heddle.client.startServer',
    'heddle.client.configureServerPath',
];

/** With more heddle folders than this, the ready ones share one line of the tooltip. */
export const collapseReadyAbove = 4;

/**
 * Why heddle-ls cannot run on this OS (it needs Linux: /proc, SO_PEERCRED, pidfds), or
 * undefined on Linux. The extension runs where the workspace is, so a remote Linux works.
 */
export function platformProblem(platform: string): string | undefined {
    if (platform === 'linux') return undefined;
    const os = platform === 'darwin' ? 'macOS' : platform === 'win32' ? 'Windows' : platform;
    return `heddle-ls runs on Linux, not on ${os}; open the repository with Remote - SSH, WSL or Dev Containers.`;
}

/** The display name of a folder URI: its last path segment, decoded. */
export function folderName(folderUri: string): string {
    const segs = pathSegments(folderUri);
    return segs[segs.length - 1] || folderUri;
}

function pathSegments(folderUri: string): string[] {
    const path = folderUri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/\/+$/, '');
    return path
        .split('/')
        .filter((s) => s.length > 0)
        .map((s) => {
            try {
                return decodeURIComponent(s);
            } catch {
                return s;
            }
        });
}

/**
 * Names that tell folders apart: the base name, and for folders that share it, as many parent
 * directories as it takes ("alpha (one)", "alpha (two)"), the way VS Code labels editors.
 */
export function displayNames(folders: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    const byName = new Map<string, string[]>();
    for (const f of new Set(folders)) {
        const n = folderName(f);
        byName.set(n, [...(byName.get(n) ?? []), f]);
    }
    for (const [name, group] of byName) {
        if (group.length === 1) {
            out.set(group[0], name);
            continue;
        }
        const segs = new Map(group.map((f) => [f, pathSegments(f).slice(0, -1)]));
        for (let depth = 1; ; depth++) {
            const label = (f: string) => segs.get(f)!.slice(-depth).join('/');
            const labels = group.map(label);
            const longest = Math.max(...group.map((f) => segs.get(f)!.length));
            if (new Set(labels).size === group.length || depth >= longest) {
                for (const f of group) out.set(f, label(f) ? `${name} (${label(f)})` : name);
                break;
            }
        }
    }
    return out;
}

/** Escapes text so markdown shows it literally (messages come from the server and the disk). */
export function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => '\\' + c);
}

function commandLink(title: string, command: string, args?: unknown[]): string {
    const q = args === undefined ? '' : '?' + encodeURIComponent(JSON.stringify(args));
    return `[${title}](command:${command}${q})`;
}

/** Whether the folder works for the user: its daemon is ready, or the server says all is well. */
export function isUsable(s: FolderStatus): boolean {
    return s.state !== 'no-repo' && (s.state === 'ready' || s.health === 'ok');
}

/** Whether queries (operations, signal health, hooks) can go anywhere for this folder now. */
export function canQuery(s: FolderStatus): boolean {
    if (s.state === 'no-repo') return false;
    return s.queries !== undefined ? s.queries !== 'none' : s.state === 'ready';
}

/** The one codicon for a folder: the server's health, else (older server) neutral. */
export function iconOf(s: FolderStatus): string {
    if (s.state === 'no-repo') return 'circle-slash';
    if (s.state === 'starting') return 'sync~spin';
    switch (s.health) {
        case 'error':
            return 'error';
        case 'warning':
            return 'warning';
        case 'ok':
            return 'check';
        default:
            return s.state === 'ready' ? 'check' : 'circle-outline';
    }
}

/** How much a folder needs the user, for ordering only: errors first, no-repo last. */
function rank(s: FolderStatus): number {
    if (s.state === 'no-repo') return 0;
    if (s.health === 'error') return 4;
    if (s.health === 'warning') return 3;
    return isUsable(s) ? 1 : 2;
}

/** Worst health over the folders that report one, or undefined when none does. */
export function worstHealth(statuses: Iterable<FolderStatus>): Health | undefined {
    let worst: Health | undefined;
    for (const s of statuses) {
        if (s.health === 'error') return 'error';
        if (s.health === 'warning') worst = 'warning';
        else if (s.health === 'ok' && !worst) worst = 'ok';
    }
    return worst;
}

/** Folders in a stable order: the ones that need the user first, then by name. */
export function sortedStatuses(statuses: Iterable<FolderStatus>): FolderStatus[] {
    return [...statuses].sort(
        (a, b) =>
            rank(b) - rank(a) ||
            folderName(a.folder).localeCompare(folderName(b.folder)) ||
            a.folder.localeCompare(b.folder),
    );
}

/** Renders the single status bar item for all folders. */
export function renderStatus(
    statuses: Iterable<FolderStatus>,
    client: ClientState,
    show: ShowSetting,
    opts: RenderOptions = {},
): StatusView {
    const all = sortedStatuses(statuses);
    const repos = all.filter((s) => s.state !== 'no-repo');
    const ready = repos.filter(isUsable).length;
    const visibleIfServer = show !== 'never';

    switch (client.kind) {
        case 'failed':
            return {
                visible: visibleIfServer,
                text: '$(error) heddle-ls failed',
                background: 'statusBarItem.errorBackground',
                tooltip: renderFailure(client.message, client.cause),
                accessibleLabel: 'heddle: the heddle-ls server is not running',
            };
        case 'idle':
            return {
                visible: show === 'always',
                text: '$(circle-slash) heddle',
                tooltip: '**heddle** — no heddle repository in this workspace',
                accessibleLabel: 'heddle: no repository',
            };
        case 'stopped':
            return {
                visible: visibleIfServer,
                text: '$(circle-slash) heddle-ls stopped',
                tooltip: '**heddle-ls is stopped**\n\n' + commandLink('Start Server', 'heddle.client.startServer'),
                accessibleLabel: 'heddle: server stopped',
            };
        case 'starting':
            if (all.length === 0) return spinner(visibleIfServer, '**heddle-ls is starting…**', 'heddle: starting');
            break;
        case 'running':
            break;
    }
    if ((opts.pendingFolders ?? 0) > 0) {
        // Until every folder has reported, an aggregate would flicker ("stopped", then "1/2 ready").
        const n = opts.pendingFolders!;
        return spinner(visibleIfServer, `**heddle** — probing ${n} more folder${n === 1 ? '' : 's'}…`, 'heddle: probing');
    }

    const worst = worstHealth(repos);
    let text: string;
    if (repos.length === 0) {
        text = '$(circle-slash) heddle';
    } else if (ready === repos.length) {
        text = '$(check) heddle ready';
    } else {
        const icon = iconOf(repos[0]); // the folder that needs the user most
        text = repos.length === 1 ? `$(${icon}) heddle ${repos[0].state}` : `$(${icon}) heddle ${ready}/${repos.length} ready`;
    }
    return {
        visible: show === 'always' || (show === 'whenRepo' && repos.length > 0),
        text,
        background:
            worst === 'error'
                ? 'statusBarItem.errorBackground'
                : worst === 'warning'
                  ? 'statusBarItem.warningBackground'
                  : undefined,
        tooltip: renderTooltip(all, opts.serverVersion, opts.nowMs ?? Date.now()),
        accessibleLabel:
            repos.length === 0 ? 'heddle: no repository' : `heddle: ${ready} of ${repos.length} folders ready`,
    };
}

function spinner(visible: boolean, tooltip: string, accessibleLabel: string): StatusView {
    return { visible, text: '$(sync~spin) heddle', tooltip, accessibleLabel };
}

function renderFailure(message: string, cause: FailureCause): string {
    const links = failureActions(cause).map((a) => commandLink(a.title, a.command));
    return ['**heddle-ls is not running**', '', escapeMarkdown(message), '', links.join(' · ')].join('\n');
}

/**
 * The markdown tooltip: a summary line with the server's version, then every heddle folder with
 * its state and since when, message, next step, where queries go and the mount daemon. With
 * many folders the ready ones share one line.
 */
export function renderTooltip(all: FolderStatus[], serverVersion: string | undefined, nowMs: number): string {
    const repos = all.filter((s) => s.state !== 'no-repo');
    const ready = repos.filter(isUsable).length;
    const names = displayNames(all.map((s) => s.folder));
    const out: string[] = [];
    const version = serverVersion ? ` · heddle-ls ${escapeMarkdown(serverVersion)}` : '';
    out.push(
        repos.length === 0
            ? `**heddle** — no heddle repository in this workspace${version}`
            : `**heddle** — ${ready} of ${repos.length} folder${repos.length === 1 ? '' : 's'} ready${version}`,
    );
    const collapse = repos.length > collapseReadyAbove;
    const collapsed: FolderStatus[] = [];
    for (const s of repos) {
        if (collapse && iconOf(s) === 'check') {
            collapsed.push(s);
            continue;
        }
        out.push('', '---', '', ...renderFolder(s, names.get(s.folder)!, nowMs));
    }
    if (collapsed.length) {
        const shown = collapsed.slice(0, 6).map((s) => escapeMarkdown(names.get(s.folder)!));
        const more = collapsed.length > shown.length ? `, … +${collapsed.length - shown.length}` : '';
        out.push('', '---', '', `$(check) **${collapsed.length} ready:** ${shown.join(', ')}${more}`);
    }
    const noRepo = all.filter((s) => s.state === 'no-repo');
    if (noRepo.length) {
        out.push('', '---', '', `$(circle-slash) Not in a heddle repository: ${noRepo.map((s) => escapeMarkdown(names.get(s.folder)!)).join(', ')}`);
    }
    out.push('', '---', '', commandLink('Show Logs', 'heddle.client.showLogs'));
    return out.join('\n');
}

function renderFolder(s: FolderStatus, name: string, nowMs: number): string[] {
    const since = s.since ? formatSince(s.since, nowMs) : '';
    const out = [`$(${iconOf(s)}) **${escapeMarkdown(name)}** — \`${s.state}\`${since ? ` since ${since}` : ''}`];
    if (s.message) out.push('', escapeMarkdown(s.message));
    if (s.hint) out.push('', `*Next:* ${escapeMarkdown(s.hint)}`);
    const facts = [queriesLine(s), mountLine(s)].filter(Boolean);
    if (facts.length) out.push('', facts.join(' · '));
    const links = [
        commandLink('Refresh', 'heddle.client.refresh', [s.folder]),
        commandLink('Explain', 'heddle.client.explain', [s.folder]),
    ];
    if (canQuery(s)) links.push(commandLink('Operations', 'heddle.client.showOperations', [s.folder]));
    out.push('', links.join(' · '));
    return out;
}

function queriesLine(s: FolderStatus): string {
    const cli = s.heddle ? `heddle ${escapeMarkdown(s.heddle.version)}` : '';
    switch (s.queries) {
        case 'daemon':
            return ['Queries via the daemon', cli].filter(Boolean).join(' · ');
        case 'cli':
            return ['Queries via the heddle CLI', cli].filter(Boolean).join(' · ');
        case 'none':
            return cli ? `No queries (no ready daemon; ${cli} cannot answer here)` : 'No queries: no ready daemon and no heddle CLI';
        default:
            return cli;
    }
}

function mountLine(s: FolderStatus): string {
    const m = s.mount;
    if (!m) return '';
    // The server's message usually begins "mount daemon …": say it once.
    if (m.message) return /^mount daemon\b/i.test(m.message) ? escapeMarkdown('M' + m.message.slice(1)) : `Mount daemon: ${escapeMarkdown(m.message)}`;
    const pid = m.pid ? ` (pid ${m.pid})` : '';
    const mounts = m.mounts !== undefined ? `, ${m.mounts} mount${m.mounts === 1 ? '' : 's'}` : '';
    return `Mount daemon ${escapeMarkdown(m.state)}${pid}${mounts}`;
}

/** "14:03" today, "2026-11-30 14:03" before (local time); the input as given when unparsable. */
export function formatSince(rfc3339: string, nowMs: number): string {
    const t = Date.parse(rfc3339);
    if (Number.isNaN(t)) return rfc3339;
    const d = new Date(t);
    const now = new Date(nowMs);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return sameDay(d, now) ? hm : `${isoDate(d)} ${hm}`;
}

export function pad(n: number): string {
    return String(n).padStart(2, '0');
}

export function isoDate(d: Date): string {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function sameDay(a: Date, b: Date): boolean {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
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

/**
 * The shell command in a hint or message, for a "Copy Command" button: the `heddle …` commands
 * after its last colon ("…: heddle agent stop, then heddle agent serve" → "heddle agent stop &&
 * heddle agent serve"), or the first backquoted one; undefined when there is none.
 */
export function hintCommand(text: string | undefined): string | undefined {
    if (!text) return undefined;
    const quoted = /`(heddle\s[^`]+)`/.exec(text);
    if (quoted) return quoted[1].trim();
    const colon = text.lastIndexOf(': ');
    const tail = colon < 0 ? text : text.slice(colon + 2);
    const parts = tail
        .split(/,\s*then\s+|\s+then\s+|;\s*/)
        .map((p) => p.trim().replace(/[.\s]+$/, ''))
        // the end of a parenthesis the hint's command stood in: "(…: heddle agent serve)"
        .map((p) => (count(p, ')') > count(p, '(') ? p.replace(/\)+$/, '') : p));
    if (parts.length === 0 || !parts.every((p) => /^heddle\s+[\w-]/.test(p))) return undefined;
    return parts.join(' && ');
}

function count(s: string, c: string): number {
    return s.split(c).length - 1;
}

function decodeURIComponentSafe(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}
