// Pure rendering of the daemon's operation log for the "Heddle Operations" view: what each
// tree item says (label, description, tooltip) and how a filter reads. The TreeDataProvider
// that uses it is in operations_view.ts; this file has no `vscode` import so it is unit-tested.
import type { Operation, OperationsQuery } from './lsp_ext';
import { escapeMarkdown } from './status';

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago", or the date for older entries. */
export function formatAge(timestampSecs: number, nowSecs: number): string {
    const d = Math.floor(nowSecs - timestampSecs);
    if (d < 5) return 'just now';
    if (d < 60) return `${d}s ago`;
    if (d < 3600) return `${Math.floor(d / 60)}m ago`;
    if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
    if (d < 7 * 86400) return `${Math.floor(d / 86400)}d ago`;
    return new Date(timestampSecs * 1000).toISOString().slice(0, 10);
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
    const when = new Date(op.timestampSecs * 1000).toISOString().replace('.000Z', 'Z');
    const rows: [string, string][] = [
        ['verb', op.verb],
        ['actor', op.actorEmail],
        ['time', when],
        ['thread', op.thread],
        ['symbols', (op.symbols ?? []).join(', ')],
        ['signals', (op.signalKinds ?? []).join(', ')],
        ['seq', String(op.seq)],
        ['operation', op.operationId],
        ['state', op.stateId],
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
