// Pure rendering of the daemon's operation log for the "Heddle Operations" view: what each
// tree item says (label, description, tooltip) and how a filter reads. The TreeDataProvider
// that uses it is in operations_view.ts; this file has no `vscode` import so it is unit-tested.
import type { Operation, OperationsQuery } from './lsp_ext';
import { escapeMarkdown, isoDate, pad, sameDay } from './status';

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * When an operation happened, for a tree row (local time): "just now" within the minute,
 * "5m ago" within the hour, then the time of day: "14:03" today, "yesterday 14:03",
 * "Mon 14:03" within the week, "2026-01-01 14:03" before. Minutes, not seconds: a row that
 * re-rendered every few seconds would keep closing its own tooltip.
 */
export function formatAge(timestampSecs: number, nowSecs: number): string {
    const d = Math.floor(nowSecs - timestampSecs);
    if (d >= -60) {
        if (d < 60) return 'just now';
        if (d < 3600) return `${Math.floor(d / 60)}m ago`;
    }
    const t = new Date(timestampSecs * 1000);
    const now = new Date(nowSecs * 1000);
    const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
    if (d < 0) return `${isoDate(t)} ${hm}`; // from the future: a clock is off, say exactly when
    if (sameDay(t, now)) return hm;
    const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
    if (sameDay(t, yesterday)) return `yesterday ${hm}`;
    if (d < 6 * 86400) return `${weekdays[t.getDay()]} ${hm}`;
    return `${isoDate(t)} ${hm}`;
}

/**
 * Milliseconds until some relative age among `timestampsSecs` reads differently ("just now" →
 * "1m ago" → "2m ago"), or undefined when every row shows a time of day (those change only at
 * midnight, which the next reload covers).
 */
export function nextAgeChangeMs(timestampsSecs: readonly number[], nowSecs: number): number | undefined {
    let next: number | undefined;
    for (const ts of timestampsSecs) {
        const d = nowSecs - ts;
        if (d < -60 || d >= 3600) continue;
        const wait = d < 0 ? 60 - d : 60 - (d % 60);
        if (next === undefined || wait < next) next = wait;
    }
    return next === undefined ? undefined : Math.max(1000, Math.ceil(next * 1000));
}

/** At most `max` symbols, then "+N". */
export function summariseSymbols(symbols: readonly string[] | null | undefined, max = 3): string {
    const list = symbols ?? [];
    if (list.length <= max) return list.join(', ');
    return `${list.slice(0, max).join(', ')} +${list.length - max}`;
}

export interface OperationItemView {
    label: string;
    description: string;
    tooltip: string; // markdown
}

/** One tree item: the verb as label; actor · age · thread · symbols as description. */
export function renderOperation(op: Operation, nowSecs: number): OperationItemView {
    const parts = [op.actorEmail || 'unknown actor', formatAge(op.timestampSecs, nowSecs)];
    if (op.thread) parts.push(op.thread);
    const syms = summariseSymbols(op.symbols);
    if (syms) parts.push(syms);
    return {
        label: op.verb || '(no verb)',
        description: parts.join(' · '),
        tooltip: renderOperationTooltip(op),
    };
}

export function renderOperationTooltip(op: Operation): string {
    const t = new Date(op.timestampSecs * 1000);
    const when = `${isoDate(t)} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())} (${t.toISOString().replace('.000Z', 'Z')})`;
    const rows: [string, string][] = [
        ['verb', op.verb],
        ['actor', op.actorEmail],
        ['time', when],
        ['thread', op.thread],
        ['symbols', (op.symbols ?? []).join(', ')],
        ['signals', (op.signalKinds ?? []).join(', ')],
        ['seq', String(op.seq)],
        ['operation', op.operationId],
        ['state', op.stateRef || op.stateId],
        ['state id', op.stateRef ? op.stateId : ''],
    ];
    return [
        `**${escapeMarkdown(op.verb || '(no verb)')}** #${op.seq}`,
        '',
        '| | |',
        '|---|---|',
        ...rows.filter(([, v]) => v).map(([k, v]) => `| ${k} | ${escapeMarkdown(v).replace(/\n/g, ' ')} |`),
    ].join('\n');
}

/** The client-side filter of the view, sent as the `heddle.operations` query. */
export interface OperationsFilter {
    actor?: string;
    thread?: string;
    verbs?: string[];
    symbol?: string;
}

export function isEmptyFilter(f: OperationsFilter): boolean {
    return !f.actor && !f.thread && !f.symbol && !(f.verbs && f.verbs.length);
}

/** "actor=a@x, verbs=commit|merge" — shown as the view's description while a filter is set. */
export function describeFilter(f: OperationsFilter): string {
    const parts: string[] = [];
    if (f.actor) parts.push(`actor=${f.actor}`);
    if (f.thread) parts.push(`thread=${f.thread}`);
    if (f.verbs && f.verbs.length) parts.push(`verbs=${f.verbs.join('|')}`);
    if (f.symbol) parts.push(`symbol=${f.symbol}`);
    return parts.join(', ');
}

/** Parses "commit, merge  rebase" into ["commit","merge","rebase"]. */
export function parseVerbs(input: string): string[] {
    return input
        .split(/[\s,|]+/)
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
}

export function toQuery(f: OperationsFilter, limit: number): OperationsQuery {
    const q: OperationsQuery = { limit };
    if (f.actor) q.actor = f.actor;
    if (f.thread) q.thread = f.thread;
    if (f.verbs && f.verbs.length) q.verbs = [...f.verbs];
    if (f.symbol) q.symbol = f.symbol;
    return q;
}
