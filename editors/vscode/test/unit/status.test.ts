import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { FolderStatus, Health, State } from '../../src/lsp_ext';
import {
    collapseReadyAbove,
    displayNames,
    escapeMarkdown,
    failureActions,
    FailureCause,
    folderForMessage,
    folderName,
    formatSince,
    hintCommand,
    iconOf,
    platformProblem,
    renderStatus,
    sortedStatuses,
    tooltipCommands,
    worstHealth,
} from '../../src/status';

process.env.TZ = 'UTC';

function st(folder: string, state: State, extra: Partial<FolderStatus> = {}): FolderStatus {
    return { folder: `file:///ws/${folder}`, state, message: `${folder} is ${state}`, ...extra };
}
/** A second-edition status: the server's verdict comes with it. */
function st2(folder: string, state: State, health: Health, extra: Partial<FolderStatus> = {}): FolderStatus {
    return st(folder, state, { health, queries: state === 'ready' ? 'daemon' : 'none', heddle: null, mount: null, ...extra });
}
const running = { kind: 'running' } as const;

/** The number of `$(icon)`s in a status bar text: VS Code's guidelines want one. */
function icons(text: string): number {
    return (text.match(/\$\([a-z~-]+\)/g) ?? []).length;
}

test('all folders ready: one check icon, "heddle ready", default background', () => {
    const v = renderStatus([st2('a', 'ready', 'ok'), st2('b', 'ready', 'ok')], running, 'whenRepo');
    assert.equal(v.text, '$(check) heddle ready');
    assert.equal(icons(v.text), 1);
    assert.ok(!v.text.includes('✓'));
    assert.equal(v.background, undefined);
    assert.equal(v.visible, true);
    assert.equal(v.accessibleLabel, 'heddle: 2 of 2 folders ready');
});

test('several folders, not all ready: "heddle 1/2 ready"; colour from the server\'s health', () => {
    const warn = renderStatus([st2('a', 'ready', 'ok'), st2('b', 'stopped', 'warning')], running, 'whenRepo');
    assert.equal(warn.text, '$(warning) heddle 1/2 ready');
    assert.equal(warn.background, 'statusBarItem.warningBackground');
    const err = renderStatus([st2('a', 'stopped', 'warning'), st2('b', 'unhealthy', 'error'), st2('c', 'ready', 'ok')], running, 'always');
    assert.equal(err.text, '$(error) heddle 1/3 ready');
    assert.equal(err.background, 'statusBarItem.errorBackground');
});

test('a stopped daemon the heddle CLI stands in for is calm: health ok, counted ready, no background', () => {
    const cli = st2('a', 'stopped', 'ok', { reason: 'no-agent-daemon', queries: 'cli', heddle: { path: '/usr/bin/heddle', version: '0.13.0' } });
    const v = renderStatus([cli], running, 'whenRepo');
    assert.equal(v.text, '$(check) heddle ready');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /`stopped`/); // the tooltip still tells the daemon's state
    assert.match(v.tooltip, /Queries via the heddle CLI · heddle 0\\\.13\\\.0/);
});

test('the colour is the server\'s: the same state gets the background its health says', () => {
    // stopped with no CLI (warning) vs stopped while the CLI answers (ok)
    assert.equal(renderStatus([st2('a', 'stopped', 'warning')], running, 'whenRepo').background, 'statusBarItem.warningBackground');
    assert.equal(renderStatus([st2('a', 'stopped', 'ok', { queries: 'cli' })], running, 'whenRepo').background, undefined);
    // a ready daemon with a stale mount daemon: the server says warning, so it is one
    const mountStale = st2('a', 'ready', 'warning', { mount: { state: 'stale', reason: 'pid-dead', message: 'mount daemon pid 812 is gone' } });
    const v = renderStatus([mountStale], running, 'whenRepo');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(v.tooltip, /Mount daemon pid 812 is gone/);
    const mountUp = st2('a', 'ready', 'ok', { mount: { state: 'running', message: 'mount daemon running (pid 812), 2 mounts' } });
    assert.match(renderStatus([mountUp], { kind: 'running' }, 'whenRepo').tooltip, /Mount daemon running \\\(pid 812\\\), 2 mounts/);
    const bare = st2('a', 'ready', 'ok', { mount: { state: 'denied', pid: 9 } });
    assert.match(renderStatus([bare], { kind: 'running' }, 'whenRepo').tooltip, /Mount daemon denied \(pid 9\)/);
});

test('a status without health (older server) renders neutral: no colour, no warning icon', () => {
    const v = renderStatus([st('a', 'ready'), st('b', 'stopped')], running, 'whenRepo');
    assert.equal(v.text, '$(circle-outline) heddle 1/2 ready');
    assert.equal(v.background, undefined);
    assert.equal(renderStatus([st('a', 'denied')], running, 'whenRepo').background, undefined);
    assert.equal(renderStatus([st('a', 'ready')], running, 'whenRepo').text, '$(check) heddle ready');
});

test('a single folder that needs the user shows its state by name', () => {
    assert.equal(renderStatus([st2('a', 'stopped', 'warning')], running, 'whenRepo').text, '$(warning) heddle stopped');
    assert.equal(renderStatus([st2('a', 'starting', 'warning')], running, 'whenRepo').text, '$(sync~spin) heddle starting');
    assert.equal(renderStatus([st2('a', 'denied', 'error')], running, 'whenRepo').text, '$(error) heddle denied');
});

test('every text has exactly one icon', () => {
    const cases = [
        renderStatus([st2('a', 'ready', 'ok')], running, 'always'),
        renderStatus([st2('a', 'stopped', 'warning')], running, 'always'),
        renderStatus([st('x', 'no-repo')], running, 'always'),
        renderStatus([], { kind: 'failed', message: 'x', cause: 'crashed' }, 'always'),
        renderStatus([], { kind: 'stopped' }, 'always'),
        renderStatus([], { kind: 'idle' }, 'always'),
        renderStatus([], { kind: 'starting' }, 'always'),
    ];
    for (const v of cases) assert.equal(icons(v.text), 1, v.text);
});

test('no-repo folders are not counted, and are listed on one line', () => {
    const v = renderStatus([st2('a', 'ready', 'ok'), st2('x', 'no-repo', 'ok'), st2('y', 'no-repo', 'ok')], running, 'whenRepo');
    assert.equal(v.text, '$(check) heddle ready');
    assert.match(v.tooltip, /1 of 1 folder ready/);
    assert.match(v.tooltip, /Not in a heddle repository: x, y/);
});

test('whenRepo hides the item when no folder has a repository; always shows it; never hides it', () => {
    const only = [st('x', 'no-repo')];
    assert.equal(renderStatus(only, running, 'whenRepo').visible, false);
    assert.equal(renderStatus(only, running, 'always').visible, true);
    assert.equal(renderStatus(only, running, 'always').text, '$(circle-slash) heddle');
    assert.equal(renderStatus([st('a', 'ready')], running, 'never').visible, false);
});

test('tooltip: server version, every folder with state, since, message, hint, worst first', () => {
    const since = '2026-12-01T14:03:00Z';
    const v = renderStatus(
        [st2('alpha', 'ready', 'ok', { since }), st2('beta', 'stopped', 'warning', { hint: 'run heddle agent serve --foreground', since: '2026-11-30T09:15:00Z' })],
        running,
        'whenRepo',
        { serverVersion: '0.2.0', nowMs: Date.parse('2026-12-01T15:00:00Z') },
    );
    assert.match(v.tooltip, /^\*\*heddle\*\* — 1 of 2 folders ready · heddle-ls 0\\\.2\\\.0/);
    const beta = v.tooltip.indexOf('**beta**');
    const alpha = v.tooltip.indexOf('**alpha**');
    assert.ok(beta > 0 && alpha > beta, 'the folder that needs the user first');
    assert.match(v.tooltip, /\*\*alpha\*\* — `ready` since 14:03/);
    assert.match(v.tooltip, /\*\*beta\*\* — `stopped` since 2026-11-30 09:15/);
    assert.match(v.tooltip, /beta is stopped/);
    assert.match(v.tooltip, /\*Next:\* run heddle agent serve \\-\\-foreground/);
    // per-folder command links carry the folder URI as a JSON argument
    assert.ok(v.tooltip.includes('command:heddle.client.explain?' + encodeURIComponent('["file:///ws/beta"]')));
    // operations only where queries can go
    assert.ok(v.tooltip.includes('command:heddle.client.showOperations?' + encodeURIComponent('["file:///ws/alpha"]')));
    assert.ok(!v.tooltip.includes('command:heddle.client.showOperations?' + encodeURIComponent('["file:///ws/beta"]')));
});

test('the queries line: daemon, CLI with its version, none', () => {
    const tip = (s: FolderStatus) => renderStatus([s], running, 'whenRepo').tooltip;
    assert.match(tip(st2('a', 'ready', 'ok', { heddle: { path: '/h', version: '0.10.1' } })), /Queries via the daemon · heddle 0\\\.10\\\.1/);
    assert.match(tip(st2('a', 'ready', 'ok')), /Queries via the daemon\n/);
    assert.match(tip(st2('a', 'stopped', 'warning')), /No queries: no ready daemon and no heddle CLI/);
    assert.match(tip(st2('a', 'stopped', 'warning', { heddle: { path: '/h', version: '0.13.0' } })), /No queries \(no ready daemon; heddle 0\\\.13\\\.0 cannot answer here\)/);
    assert.doesNotMatch(tip(st('a', 'ready')), /Queries/); // an older server says nothing about it
});

test('many folders: the ready ones share one line, the others keep theirs', () => {
    const many = Array.from({ length: collapseReadyAbove + 3 }, (_, i) => st2(`r${i}`, 'ready', 'ok'));
    const v = renderStatus([...many, st2('sick', 'unhealthy', 'error')], running, 'whenRepo');
    assert.match(v.tooltip, new RegExp(`\\*\\*${many.length} ready:\\*\\* r0, r1, r2, r3, r4, r5, … \\+1`));
    assert.match(v.tooltip, /\*\*sick\*\* — `unhealthy`/);
    assert.doesNotMatch(v.tooltip, /\*\*r0\*\* — /);
    // with few folders every one is listed
    const few = renderStatus([st2('a', 'ready', 'ok'), st2('b', 'ready', 'ok')], running, 'whenRepo');
    assert.match(few.tooltip, /\*\*a\*\* — `ready`/);
});

test('server messages cannot inject markdown or command links into the tooltip', () => {
    const v = renderStatus([st('a', 'denied', { message: '[click](command:evil) *bold* $(zap)' })], running, 'whenRepo');
    assert.ok(!v.tooltip.includes('[click](command:evil)'));
    assert.ok(v.tooltip.includes('\\[click\\]\\(command:evil\\)'));
    assert.ok(v.tooltip.includes('\\$\\(zap\\)'));
});

test('failed server: error background; the links fit the cause', () => {
    const notFound = renderStatus([st('a', 'ready')], { kind: 'failed', message: 'spawn /nope ENOENT', cause: 'not-found' }, 'whenRepo');
    assert.equal(notFound.text, '$(error) heddle-ls failed');
    assert.equal(notFound.background, 'statusBarItem.errorBackground');
    assert.match(notFound.tooltip, /spawn \/nope ENOENT/);
    assert.match(notFound.tooltip, /command:heddle\.client\.showLogs/);
    assert.match(notFound.tooltip, /command:heddle\.client\.configureServerPath/);
    const crashed = renderStatus([], { kind: 'failed', message: 'exited 4 times', cause: 'crashed' }, 'whenRepo');
    assert.match(crashed.tooltip, /command:heddle\.client\.restartServer/);
    assert.doesNotMatch(crashed.tooltip, /configureServerPath/, 'a crash loop is not a path problem');
    const platform = renderStatus([], { kind: 'failed', message: 'Linux only', cause: 'platform' }, 'whenRepo');
    assert.doesNotMatch(platform.tooltip, /restartServer|configureServerPath/);
    assert.match(platform.tooltip, /command:heddle\.client\.showLogs/);
    assert.match(notFound.tooltip, /command:heddle\.client\.restartServer/, 'a fixed path needs a restart to take effect');
    assert.equal(renderStatus([], { kind: 'failed', message: 'x', cause: 'start' }, 'never').visible, false);
});

const causes: FailureCause[] = ['not-found', 'crashed', 'platform', 'start'];

test('failureActions: the buttons for each failure', () => {
    const titles = (c: FailureCause) => failureActions(c).map((a) => a.title);
    assert.deepEqual(titles('not-found'), ['Configure Path', 'Restart Server', 'Show Logs']);
    assert.deepEqual(titles('crashed'), ['Restart Server', 'Show Logs']);
    assert.deepEqual(titles('start'), ['Show Logs', 'Configure Path', 'Restart Server']);
    assert.deepEqual(titles('platform'), ['Show Logs'], 'restarting cannot help on another OS');
    for (const c of causes) {
        for (const a of failureActions(c)) assert.ok(tooltipCommands.includes(a.command), `${a.command} is trusted in the tooltip`);
    }
});

test('failed tooltip links are exactly the notification buttons, in order', () => {
    for (const c of causes) {
        const v = renderStatus([], { kind: 'failed', message: 'm', cause: c }, 'always');
        const links = [...v.tooltip.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\)/g)].map((m) => ({ title: m[1], command: m[2] }));
        assert.deepEqual(links, failureActions(c), c);
    }
});

test('starting server before any status: spinner', () => {
    const v = renderStatus([], { kind: 'starting' }, 'whenRepo');
    assert.equal(v.text, '$(sync~spin) heddle');
    assert.equal(v.visible, true);
});

test('while some folders have not reported yet: spinner, not a partial aggregate', () => {
    const v = renderStatus([st2('b', 'stopped', 'warning')], running, 'whenRepo', { pendingFolders: 1 });
    assert.equal(v.text, '$(sync~spin) heddle');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /probing 1 more folder…/);
    assert.equal(renderStatus([st2('b', 'stopped', 'warning')], running, 'whenRepo').text, '$(warning) heddle stopped');
});

test('a server stopped by the user stays visible with a Start link unless the setting is never', () => {
    const v = renderStatus([], { kind: 'stopped' }, 'whenRepo');
    assert.equal(v.visible, true);
    assert.equal(v.text, '$(circle-slash) heddle-ls stopped');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /command:heddle\.client\.startServer/);
    assert.equal(renderStatus([], { kind: 'stopped' }, 'never').visible, false);
});

test('idle (no heddle repository, server not started): shown only with always', () => {
    assert.equal(renderStatus([], { kind: 'idle' }, 'whenRepo').visible, false);
    const v = renderStatus([], { kind: 'idle' }, 'always');
    assert.equal(v.visible, true);
    assert.equal(v.text, '$(circle-slash) heddle');
});

test('icons come from health, spinners from starting', () => {
    assert.equal(iconOf(st2('a', 'ready', 'ok')), 'check');
    assert.equal(iconOf(st2('a', 'stale', 'warning')), 'warning');
    assert.equal(iconOf(st2('a', 'unreachable', 'error')), 'error');
    assert.equal(iconOf(st2('a', 'starting', 'warning')), 'sync~spin');
    assert.equal(iconOf(st('a', 'unreachable')), 'circle-outline');
    assert.equal(iconOf(st('a', 'some-future-state' as State, { health: 'error' })), 'error');
    assert.equal(worstHealth([st2('a', 'ready', 'ok'), st('b', 'stopped')]), 'ok');
    assert.equal(worstHealth([st('b', 'stopped')]), undefined);
});

test('sortedStatuses: errors, warnings, neutral, ready, then by name', () => {
    const names = sortedStatuses([st2('b', 'ready', 'ok'), st2('a', 'ready', 'ok'), st2('c', 'stale', 'warning'), st2('d', 'denied', 'error'), st('e', 'stopped')]).map((s) =>
        folderName(s.folder),
    );
    assert.deepEqual(names, ['d', 'c', 'e', 'a', 'b']);
});

test('folderName decodes the last segment', () => {
    assert.equal(folderName('file:///home/u/my%20repo'), 'my repo');
    assert.equal(folderName('file:///home/u/repo/'), 'repo');
});

test('displayNames tells folders with the same base name apart by their parents', () => {
    const n = displayNames(['file:///a/one/alpha', 'file:///b/two/alpha', 'file:///c/beta', 'file:///x/same/alpha2', 'file:///y/same/alpha2']);
    assert.equal(n.get('file:///a/one/alpha'), 'alpha (one)');
    assert.equal(n.get('file:///b/two/alpha'), 'alpha (two)');
    assert.equal(n.get('file:///c/beta'), 'beta');
    assert.equal(n.get('file:///x/same/alpha2'), 'alpha2 (x/same)');
    assert.equal(n.get('file:///y/same/alpha2'), 'alpha2 (y/same)');
});

test('formatSince: time of day today, date and time before, the input when unparsable', () => {
    const now = Date.parse('2026-12-01T18:00:00Z');
    assert.equal(formatSince('2026-12-01T08:05:09Z', now), '08:05');
    assert.equal(formatSince('2026-11-30T23:59:00Z', now), '2026-11-30 23:59');
    assert.equal(formatSince('soon', now), 'soon');
});

test('escapeMarkdown', () => {
    assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
});

test('folderForMessage: by path, then by "(name)", then by the latest change within the window', () => {
    const a = st('alpha', 'stopped', { root: '/ws/alpha' });
    const b = st('beta', 'ready', { root: '/ws/beta' });
    assert.equal(folderForMessage('daemon at /ws/beta/.heddle gone', [a, b], undefined, 0), b.folder);
    assert.equal(folderForMessage('heddle (alpha): no daemon', [a, b], undefined, 0), a.folder);
    const last = { folder: b.folder, atMs: 1000 };
    assert.equal(folderForMessage('something', [a, b], last, 2500), b.folder);
    assert.equal(folderForMessage('something', [a, b], last, 9000), undefined);
});

test('hintCommand finds the heddle command a toast can copy', () => {
    assert.equal(hintCommand('start the daemon in the repository: heddle agent serve --foreground'), 'heddle agent serve --foreground');
    assert.equal(
        hintCommand('no daemon is running [was ready] — restart the daemon: heddle agent stop, then heddle agent serve --foreground'),
        'heddle agent stop && heddle agent serve --foreground',
    );
    assert.equal(hintCommand('run `heddle agent serve` in /ws/a'), 'heddle agent serve');
    assert.equal(hintCommand('repair .heddle/objectstore so it names the main repository\'s heddle directory'), undefined);
    assert.equal(hintCommand('the daemon may be busy or hung; raise queryTimeoutMs or restart the daemon'), undefined);
    assert.equal(hintCommand(''), undefined);
    // the second edition's hints: a command only where one is the next step
    assert.equal(hintCommand('put heddle on PATH or set heddlePath (heddle ≤ v0.10.3 can also run an agent daemon: heddle agent serve)'), 'heddle agent serve');
    assert.equal(
        hintCommand('put heddle on PATH or set heddlePath (heddle ≤ v0.10.3 can also run an agent daemon: heddle agent serve); no heddle CLI on PATH (install heddle (cargo install heddle-cli) or set heddlePath to its absolute path)'),
        undefined,
    );
});

test('platformProblem: nothing on Linux, a clear way out elsewhere', () => {
    assert.equal(platformProblem('linux'), undefined);
    assert.match(platformProblem('darwin')!, /runs on Linux, not on macOS; .*Remote - SSH, WSL or Dev Containers/);
    assert.match(platformProblem('win32')!, /not on Windows/);
});
