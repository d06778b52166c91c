import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { FolderStatus, State } from '../../src/lsp_ext';
import {
    Severity,
    escapeMarkdown,
    folderForMessage,
    folderName,
    renderStatus,
    severityOf,
    sortedStatuses,
} from '../../src/status';

function st(folder: string, state: State, extra: Partial<FolderStatus> = {}): FolderStatus {
    return { folder: `file:///ws/${folder}`, state, message: `${folder} is ${state}`, ...extra };
}
const running = { kind: 'running' } as const;

test('all folders ready: check icon, "heddle ✓", default background', () => {
    const v = renderStatus([st('a', 'ready'), st('b', 'ready')], running, 'whenRepo');
    assert.equal(v.text, '$(check) heddle ✓');
    assert.equal(v.severity, Severity.Ok);
    assert.equal(v.background, undefined);
    assert.equal(v.visible, true);
    assert.equal(v.accessibleLabel, 'heddle: 2 of 2 daemons ready');
});

test('one ready of two: "heddle 1/2" with the warning background of a stopped daemon', () => {
    const v = renderStatus([st('a', 'ready'), st('b', 'stopped')], running, 'whenRepo');
    assert.equal(v.text, '$(warning) heddle 1/2');
    assert.equal(v.background, 'statusBarItem.warningBackground');
});

test('worst state wins: an unhealthy daemon makes it an error whatever else is there', () => {
    const v = renderStatus([st('a', 'stopped'), st('b', 'unhealthy'), st('c', 'ready')], running, 'always');
    assert.equal(v.severity, Severity.Error);
    assert.equal(v.text, '$(error) heddle 1/3');
    assert.equal(v.background, 'statusBarItem.errorBackground');
});

test('a single folder shows its state by name', () => {
    assert.equal(renderStatus([st('a', 'stopped')], running, 'whenRepo').text, '$(warning) heddle stopped');
    assert.equal(renderStatus([st('a', 'starting')], running, 'whenRepo').text, '$(sync~spin) heddle starting');
    assert.equal(renderStatus([st('a', 'ready')], running, 'whenRepo').text, '$(check) heddle ✓');
});

test('no-repo folders are not counted', () => {
    const v = renderStatus([st('a', 'ready'), st('x', 'no-repo')], running, 'whenRepo');
    assert.equal(v.text, '$(check) heddle ✓');
    assert.match(v.tooltip, /1 of 1 daemon ready/);
});

test('whenRepo hides the item when no folder has a repository; always shows it; never hides it', () => {
    const only = [st('x', 'no-repo')];
    assert.equal(renderStatus(only, running, 'whenRepo').visible, false);
    assert.equal(renderStatus(only, running, 'always').visible, true);
    assert.equal(renderStatus(only, running, 'always').text, '$(circle-slash) heddle no repo');
    assert.equal(renderStatus([st('a', 'ready')], running, 'never').visible, false);
});

test('tooltip lists every folder with state, message and hint, worst first', () => {
    const v = renderStatus(
        [st('alpha', 'ready'), st('beta', 'stopped', { hint: 'run heddle agent serve --foreground' })],
        running,
        'whenRepo',
    );
    assert.match(v.tooltip, /1 of 2 daemons ready/);
    const beta = v.tooltip.indexOf('**beta**');
    const alpha = v.tooltip.indexOf('**alpha**');
    assert.ok(beta > 0 && alpha > beta, 'worst (stopped) folder first');
    assert.match(v.tooltip, /\*\*beta\*\* — `stopped`/);
    assert.match(v.tooltip, /beta is stopped/);
    assert.match(v.tooltip, /\*Next:\* run heddle agent serve \\-\\-foreground/);
    // per-folder command links carry the folder URI as a JSON argument
    assert.ok(v.tooltip.includes('command:heddle.client.explain?' + encodeURIComponent('["file:///ws/beta"]')));
    // operations only for the ready folder
    assert.ok(v.tooltip.includes('command:heddle.client.showOperations?' + encodeURIComponent('["file:///ws/alpha"]')));
    assert.ok(!v.tooltip.includes('command:heddle.client.showOperations?' + encodeURIComponent('["file:///ws/beta"]')));
});

test('server messages cannot inject markdown or command links into the tooltip', () => {
    const v = renderStatus(
        [st('a', 'denied', { message: '[click](command:evil) *bold* $(zap)' })],
        running,
        'whenRepo',
    );
    assert.ok(!v.tooltip.includes('[click](command:evil)'));
    assert.ok(v.tooltip.includes('\\[click\\]\\(command:evil\\)'));
    assert.ok(v.tooltip.includes('\\$\\(zap\\)'));
});

test('failed server: error state with Show Logs and Configure Path links, even with old statuses', () => {
    const v = renderStatus([st('a', 'ready')], { kind: 'failed', message: 'spawn /nope ENOENT' }, 'whenRepo');
    assert.equal(v.text, '$(error) heddle ✗');
    assert.equal(v.background, 'statusBarItem.errorBackground');
    assert.match(v.tooltip, /spawn \/nope ENOENT/);
    assert.match(v.tooltip, /command:heddle\.client\.showLogs/);
    assert.match(v.tooltip, /command:heddle\.client\.configureServerPath/);
    assert.equal(renderStatus([], { kind: 'failed', message: 'x' }, 'never').visible, false);
});

test('starting server before any status: spinner', () => {
    const v = renderStatus([], { kind: 'starting' }, 'whenRepo');
    assert.equal(v.text, '$(sync~spin) heddle');
    assert.equal(v.visible, true);
});

test('severity order and unknown states', () => {
    assert.ok(severityOf('denied') > severityOf('stopped'));
    assert.ok(severityOf('stopped') > severityOf('starting'));
    assert.ok(severityOf('starting') > severityOf('ready'));
    assert.equal(severityOf('some-future-state'), Severity.Warning);
});

test('sortedStatuses: worst first, then by name', () => {
    const names = sortedStatuses([st('b', 'ready'), st('a', 'ready'), st('c', 'stale')]).map((s) => folderName(s.folder));
    assert.deepEqual(names, ['c', 'a', 'b']);
});

test('folderName decodes the last segment', () => {
    assert.equal(folderName('file:///home/u/my%20repo'), 'my repo');
    assert.equal(folderName('file:///home/u/repo/'), 'repo');
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

test('while some folders have not reported yet: spinner, not a partial aggregate', () => {
    const v = renderStatus([st('b', 'stopped')], running, 'whenRepo', 1);
    assert.equal(v.text, '$(sync~spin) heddle');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /probing 1 more folder…/);
    assert.equal(renderStatus([st('b', 'stopped')], running, 'whenRepo', 0).text, '$(warning) heddle stopped');
});

test('a stopped server stays visible (with a restart link) unless the setting is never', () => {
    const v = renderStatus([], { kind: 'stopped' }, 'whenRepo');
    assert.equal(v.visible, true);
    assert.match(v.tooltip, /command:heddle\.client\.restartServer/);
    assert.equal(renderStatus([], { kind: 'stopped' }, 'never').visible, false);
});

test('idle (no heddle repository, server not started): shown only with always', () => {
    assert.equal(renderStatus([], { kind: 'idle' }, 'whenRepo').visible, false);
    const v = renderStatus([], { kind: 'idle' }, 'always');
    assert.equal(v.visible, true);
    assert.equal(v.text, '$(circle-slash) heddle');
});
