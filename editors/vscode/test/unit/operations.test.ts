import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Operation } from '../../src/lsp_ext';
import {
    describeFilter,
    formatAge,
    isEmptyFilter,
    nextAgeChangeMs,
    parseVerbs,
    renderOperation,
    summariseSymbols,
    toQuery,
} from '../../src/operations';
import { escapeHtml, formatMicros, renderExplain, renderHooks, renderSignalHealth } from '../../src/reports';
import { parseServerLogLine } from '../../src/server_log';

process.env.TZ = 'UTC';

const op: Operation = {
    seq: 120,
    timestampSecs: Date.parse('2026-12-01T09:30:00Z') / 1000,
    verb: 'marker_delete',
    actorEmail: 'ada@example.com',
    operationId: '6e5fd8e6-cbbe-4d19-b2c3-649953296ff8',
    thread: 'main',
    symbols: ['src/main.rs::main', 'src/auth.rs::logout'],
    signalKinds: ['novelty'],
    stateId: 'db50dc888663a4df2a26fe167d946f2a',
    stateRef: 'hs-7b4kq2',
};

test('an operation renders verb as label; actor, age, thread, symbols as description', () => {
    const v = renderOperation(op, op.timestampSecs + 300);
    assert.equal(v.label, 'marker_delete');
    assert.equal(v.description, 'ada@example.com · 5m ago · main · src/main.rs::main, src/auth.rs::logout');
});

test('the tooltip has every field, including both forms of the state id', () => {
    const t = renderOperation(op, 0).tooltip;
    for (const s of ['#120', 'ada@example\\.com', '2026\\-12\\-01 09:30:00', '6e5fd8e6', 'hs\\-7b4kq2', 'db50dc888663a4df2a26fe167d946f2a', 'novelty']) {
        assert.ok(t.includes(s), `tooltip lacks ${s}:\n${t}`);
    }
});

test('null symbols and thread are left out', () => {
    const v = renderOperation({ ...op, symbols: null, thread: '' }, op.timestampSecs + 30);
    assert.equal(v.description, 'ada@example.com · just now');
});

test('formatAge: relative within the hour, then the time of day', () => {
    const now = Date.parse('2026-12-01T18:00:00Z') / 1000; // a Tuesday
    const at = (iso: string) => Date.parse(iso) / 1000;
    assert.equal(formatAge(now - 2, now), 'just now');
    assert.equal(formatAge(now - 59, now), 'just now');
    assert.equal(formatAge(now - 60, now), '1m ago');
    assert.equal(formatAge(now - 59 * 60, now), '59m ago');
    assert.equal(formatAge(at('2026-12-01T09:30:00Z'), now), '09:30');
    assert.equal(formatAge(at('2026-11-30T23:10:00Z'), now), 'yesterday 23:10');
    assert.equal(formatAge(at('2026-11-27T08:00:00Z'), now), 'Fri 08:00');
    assert.equal(formatAge(at('2026-01-01T00:05:00Z'), now), '2026-01-01 00:05');
    assert.equal(formatAge(now + 3600, now), '2026-12-01 19:00'); // a clock ahead: exactly when
    assert.equal(formatAge(now + 10, now), 'just now'); // a little skew is not news
});

test('nextAgeChangeMs: when the youngest relative age turns to the next minute; never for times of day', () => {
    const now = 10_000;
    assert.equal(nextAgeChangeMs([now - 10], now), 50_000); // "just now" → "1m ago"
    assert.equal(nextAgeChangeMs([now - 125], now), 55_000); // "2m ago" → "3m ago"
    assert.equal(nextAgeChangeMs([now - 125, now - 50], now), 10_000);
    assert.equal(nextAgeChangeMs([now + 30], now), 90_000); // slightly ahead: "just now" until a minute old
    assert.equal(nextAgeChangeMs([now - 7200], now), undefined);
    assert.equal(nextAgeChangeMs([], now), undefined);
    // the boundaries agree with formatAge
    for (const d of [10, 59, 125, 3599]) {
        const wait = nextAgeChangeMs([now - d], now)! / 1000;
        assert.notEqual(formatAge(now - d, now + wait), formatAge(now - d, now), `age ${d}s changes after ${wait}s`);
        assert.equal(formatAge(now - d, now + wait - 1), formatAge(now - d, now), `age ${d}s does not change before`);
    }
});

test('summariseSymbols caps the list', () => {
    assert.equal(summariseSymbols(['a', 'b', 'c', 'd', 'e']), 'a, b, c +2');
    assert.equal(summariseSymbols(null), '');
});

test('filters: parse, describe, query', () => {
    assert.deepEqual(parseVerbs(' commit, merge|rebase  '), ['commit', 'merge', 'rebase']);
    const f = { actor: 'ada@example.com', verbs: ['commit', 'merge'] };
    assert.equal(isEmptyFilter(f), false);
    assert.equal(isEmptyFilter({ verbs: [] }), true);
    assert.equal(describeFilter(f), 'actor=ada@example.com, verbs=commit|merge');
    assert.deepEqual(toQuery(f, 25), { limit: 25, actor: 'ada@example.com', verbs: ['commit', 'merge'] });
    assert.deepEqual(toQuery({}, 50), { limit: 50 });
});

test('formatMicros: µs, one decimal under 10 ms, whole ms, seconds', () => {
    assert.equal(formatMicros(12), '12 µs');
    assert.equal(formatMicros(1100), '1.1 ms');
    assert.equal(formatMicros(9949), '9.9 ms');
    assert.equal(formatMicros(12_400), '12 ms');
    assert.equal(formatMicros(1_250_000), '1.3 s');
    assert.equal(formatMicros(-1), '—');
});

test('explain: folder name as the title, state, facts, steps with readable times; everything escaped', () => {
    const r = renderExplain(
        {
            folder: 'file:///ws/alpha',
            markdown: '**file:///ws/alpha** — ignored',
            steps: [
                { step: 'pidfile', ok: true, micros: 1100, detail: 'pid 4321 in /ws/alpha/.heddle/agent.pid' },
                { step: 'connect', ok: false, micros: 50_000, detail: '<script>alert(1)</script>' },
            ],
        },
        { folder: 'file:///ws/alpha', state: 'unreachable', message: 'did not accept', hint: 'restart it', root: '/ws/alpha', pid: 4321, queries: 'cli', heddle: { path: '/usr/bin/heddle', version: '0.13.0' } },
        'alpha (ws)',
    );
    assert.equal(r.title, 'Heddle Status: alpha (ws)');
    assert.match(r.body, /<h1>alpha \(ws\) <span class="state">unreachable<\/span><\/h1>/);
    assert.match(r.body, /<td class="num">1\.1 ms<\/td>/);
    assert.match(r.body, /<td class="num">50 ms<\/td>/);
    assert.match(r.body, /&lt;script&gt;/);
    assert.doesNotMatch(r.body, /<script>/);
    assert.doesNotMatch(r.body, /file:\/\/\/ws\/alpha/, 'paths, not URIs');
    assert.match(r.body, /<th>folder<\/th><td><code>\/ws\/alpha<\/code>/);
    assert.match(r.body, /through the heddle CLI/);
    assert.match(r.body, /heddle 0\.13\.0 \(\/usr\/bin\/heddle\)/);
    assert.match(r.body, /<strong>Next:<\/strong> restart it/);
    assert.match(renderExplain({ folder: 'file:///ws/a', markdown: '', steps: [] }, undefined, 'a').body, /No probe steps ran/);
    // the probe's own status wins over the client's latest
    const fresh = renderExplain({ folder: 'file:///ws/a', markdown: '', steps: [], status: { folder: 'file:///ws/a', state: 'ready' } }, { folder: 'file:///ws/a', state: 'stopped' }, 'a');
    assert.match(fresh.body, /<span class="state">ready<\/span>/);
});

test('signal health: warnings first, percentages, the source', () => {
    const r = renderSignalHealth(
        {
            folder: 'file:///ws/a',
            source: 'cli',
            windowStates: 500,
            entries: [
                { moduleId: 'quiet', fireRate: 0.01, warn: false },
                { moduleId: 'noisy', fireRate: 0.9, warn: true },
            ],
        },
        'a',
    );
    assert.equal(r.title, 'Heddle Signal Health: a');
    assert.ok(r.body.indexOf('noisy') < r.body.indexOf('quiet'));
    assert.match(r.body, /90\.0 %<\/td><td class="bad">⚠ noisy/);
    assert.match(r.body, /1 warning · answered by the heddle CLI/);
    assert.match(renderSignalHealth({ folder: 'file:///ws/a', windowStates: 1, entries: null }, 'a').body, /No signal modules/);
});

test('hooks: a row per hook, commands escaped', () => {
    const r = renderHooks({ folder: 'file:///ws/a', hooks: [{ name: 'fmt', command: 'cargo fmt | tee <x>', events: ['pre-commit'], timeoutMs: 500 }] }, 'a');
    assert.match(r.body, /<td>fmt<\/td><td>pre-commit<\/td><td><code>cargo fmt \| tee &lt;x&gt;<\/code><\/td><td class="num">500 ms<\/td>/);
    assert.match(renderHooks({ folder: 'file:///ws/a', hooks: [] }, 'a').body, /No hooks configured/);
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('server log lines keep their level', () => {
    assert.deepEqual(parseServerLogLine('time=2026-12-01T16:40:16.497Z level=INFO msg="heddle-ls starting" version=0.1.0-dev pid=14373'), {
        level: 'info',
        text: 'heddle-ls starting version=0.1.0-dev pid=14373',
    });
    assert.deepEqual(parseServerLogLine('time=2026-12-01T16:40:16.497Z level=WARN msg=gone'), { level: 'warn', text: 'gone' });
    assert.deepEqual(parseServerLogLine('time=x level=DEBUG msg="a \\"b\\""'), { level: 'debug', text: 'a "b"' });
    assert.deepEqual(parseServerLogLine('panic: runtime error'), { level: 'error', text: 'panic: runtime error' });
});
