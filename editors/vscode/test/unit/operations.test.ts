import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Operation } from '../../src/lsp_ext';
import {
    describeFilter,
    formatAge,
    isEmptyFilter,
    parseVerbs,
    renderOperation,
    summariseSymbols,
    toQuery,
} from '../../src/operations';
import { renderHooks, renderSignalHealth, renderExplain } from '../../src/reports';

const op: Operation = {
    seq: 120,
    timestampSecs: 1_767_232_800,
    verb: 'marker_delete',
    actorEmail: 'ada@example.com',
    operationId: '6e5fd8e6-cbbe-4d19-b2c3-649953296ff8',
    thread: 'main',
    symbols: ['src/main.rs::main', 'src/auth.rs::logout'],
    signalKinds: ['novelty'],
    stateId: 'db50dc888663a4df2a26fe167d946f2a',
};

test('an operation renders verb as label; actor, age, thread, symbols as description', () => {
    const v = renderOperation(op, op.timestampSecs + 300);
    assert.equal(v.label, 'marker_delete');
    assert.equal(v.description, 'ada@example.com · 5m ago · main · src/main.rs::main, src/auth.rs::logout');
});

test('the tooltip has every field, including ids', () => {
    const t = renderOperation(op, 0).tooltip;
    for (const s of ['#120', 'ada@example\\.com', '2026\\-01\\-01T02:00:00Z', '6e5fd8e6', 'db50dc888663a4df2a26fe167d946f2a', 'novelty']) {
        assert.ok(t.includes(s), `tooltip lacks ${s}:\n${t}`);
    }
});

test('null symbols and thread are left out', () => {
    const v = renderOperation({ ...op, symbols: null, thread: '' }, op.timestampSecs + 30);
    assert.equal(v.description, 'ada@example.com · 30s ago');
});

test('formatAge', () => {
    assert.equal(formatAge(100, 101), 'just now');
    assert.equal(formatAge(100, 160), '1m ago');
    assert.equal(formatAge(0, 7200), '2h ago');
    assert.equal(formatAge(0, 3 * 86400), '3d ago');
    assert.equal(formatAge(1_767_232_800, 1_767_232_800 + 30 * 86400), '2026-01-01');
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

test('signal health: warnings first, percentages', () => {
    const md = renderSignalHealth({
        folder: 'file:///ws/a',
        windowStates: 500,
        entries: [
            { moduleId: 'quiet', fireRate: 0.01, warn: false },
            { moduleId: 'noisy', fireRate: 0.9, warn: true },
        ],
    });
    assert.ok(md.indexOf('noisy') < md.indexOf('quiet'));
    assert.match(md, /\| noisy \| 90\.0 % \| ⚠ noisy \|/);
    assert.match(md, /1 warning\b/);
    assert.match(renderSignalHealth({ folder: 'file:///ws/a', windowStates: 1, entries: null }), /No signal modules/);
});

test('hooks and explain fallbacks', () => {
    const md = renderHooks({ folder: 'file:///ws/a', hooks: [{ name: 'fmt', command: 'cargo fmt | tee', events: ['pre-commit'], timeoutMs: 500 }] });
    assert.match(md, /\| fmt \| pre\\-commit \| `cargo fmt \\\| tee` \| 500 ms \|/);
    assert.match(renderHooks({ folder: 'file:///ws/a', hooks: [] }), /No hooks configured/);
    assert.equal(renderExplain({ folder: 'f', markdown: '# x', steps: [] }), '# x');
    assert.match(renderExplain({ folder: 'file:///ws/a', markdown: '', steps: [{ step: 'pidfile', ok: false, micros: 12, detail: 'missing' }] }), /\| pidfile \| ✗ \| 12 \| missing \|/);
});
