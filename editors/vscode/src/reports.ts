// Pure HTML rendering of the reports shown in a webview panel each (explain, signal health,
// hooks): their titles and bodies. Everything from the server or the disk is escaped; the
// panel (panels.ts) adds the page around a body and a strict content security policy.
import type { ExplainResult, FolderStatus, HooksResult, QuerySource, SignalHealthResult } from './lsp_ext';
import { isoDate, pad } from './status';

export interface Report {
    /** The tab's title, e.g. "Heddle Status: alpha". */
    title: string;
    /** HTML for inside <body>. */
    body: string;
}

export function escapeHtml(s: string): string {
    return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A step's time for people: "850 µs", "1.1 ms", "12 ms", "1.2 s". */
export function formatMicros(micros: number): string {
    if (!Number.isFinite(micros) || micros < 0) return '—';
    if (micros < 1000) return `${Math.round(micros)} µs`;
    const ms = micros / 1000;
    if (ms < 10) return `${ms.toFixed(1)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(1)} s`;
}

function sourceNote(source: QuerySource | undefined): string {
    if (source === 'daemon') return ' · answered by the daemon';
    if (source === 'cli') return ' · answered by the heddle CLI';
    return '';
}

function row(key: string, value: string | number | undefined, code = false): string {
    if (value === undefined || value === '' || value === 0) return '';
    const v = escapeHtml(String(value));
    return `<tr><th>${escapeHtml(key)}</th><td>${code ? `<code>${v}</code>` : v}</td></tr>`;
}

/**
 * Explain: the folder's state, message and next step, what the server knows about it (paths,
 * pid, API, reason, where queries go, the heddle CLI, the mount daemon), then every probe step
 * with its time and detail. The probe's own status when the server sends it (second edition),
 * else `latest`, the folder's latest status the client has.
 */
export function renderExplain(r: ExplainResult, latest: FolderStatus | undefined, name: string): Report {
    const s = r.status ?? latest;
    const out: string[] = [];
    out.push(`<h1>${escapeHtml(name)}${s ? ` <span class="state">${escapeHtml(s.state)}</span>` : ''}</h1>`);
    if (s?.message) out.push(`<p>${escapeHtml(s.message)}</p>`);
    if (s?.hint) out.push(`<p class="hint"><strong>Next:</strong> ${escapeHtml(s.hint)}</p>`);
    const facts = [
        row('folder', uriPath(r.folder), true),
        row('repository', s?.root, true),
        row('heddle dir', s?.heddleDir, true),
        row('socket', s?.socket, true),
        row('pid', s?.pid),
        row('API', s?.api, true),
        row('reason', s?.reason, true),
        row('queries', s?.queries === undefined ? undefined : queriesText(s.queries)),
        row('heddle CLI', s?.heddle ? `heddle ${s.heddle.version} (${s.heddle.path})` : s?.heddle === null ? 'not found' : undefined),
        row('mount daemon', s?.mount ? s.mount.message || `${s.mount.state}${s.mount.pid ? ` (pid ${s.mount.pid})` : ''}` : undefined),
        row('since', s?.since ? localTime(s.since) : undefined),
    ].join('');
    out.push(`<table class="facts">${facts}</table>`);
    out.push('<h2>Probe steps</h2>');
    const steps = r.steps ?? [];
    if (steps.length === 0) {
        out.push('<p><em>No probe steps ran.</em></p>');
    } else {
        out.push('<table class="steps"><thead><tr><th>step</th><th>result</th><th class="num">time</th><th>detail</th></tr></thead><tbody>');
        for (const st of steps) {
            out.push(
                `<tr><td>${escapeHtml(st.step)}</td><td class="${st.ok ? 'ok' : 'bad'}">${st.ok ? '✓ ok' : '✗ failed'}</td>` +
                    `<td class="num">${formatMicros(st.micros)}</td><td>${escapeHtml(st.detail)}</td></tr>`,
            );
        }
        out.push('</tbody></table>');
    }
    return { title: `Heddle Status: ${name}`, body: out.join('\n') };
}

/** "2026-12-01 18:03:01" in local time; the input when unparsable. */
function localTime(rfc3339: string): string {
    const t = Date.parse(rfc3339);
    if (Number.isNaN(t)) return rfc3339;
    const d = new Date(t);
    return `${isoDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function queriesText(q: NonNullable<FolderStatus['queries']>): string {
    return q === 'daemon' ? 'through the daemon' : q === 'cli' ? 'through the heddle CLI' : 'none (no ready daemon, no heddle CLI)';
}

/** The path of a file:// URI, decoded; other URIs as they are. */
function uriPath(uri: string): string {
    if (!uri.startsWith('file://')) return uri;
    try {
        return decodeURIComponent(uri.replace(/^file:\/\/[^/]*/, ''));
    } catch {
        return uri;
    }
}

export function renderSignalHealth(r: SignalHealthResult, name: string): Report {
    const entries = [...(r.entries ?? [])].sort((a, b) => Number(b.warn) - Number(a.warn) || b.fireRate - a.fireRate);
    const warns = entries.filter((e) => e.warn).length;
    const out = [
        `<h1>${escapeHtml(name)}</h1>`,
        `<p>Window: last ${r.windowStates} states · ${entries.length} module${entries.length === 1 ? '' : 's'} · ` +
            `${warns} warning${warns === 1 ? '' : 's'}${sourceNote(r.source)}</p>`,
    ];
    if (entries.length === 0) {
        out.push('<p><em>No signal modules reported.</em></p>');
    } else {
        out.push('<table><thead><tr><th>module</th><th class="num">fire rate</th><th></th></tr></thead><tbody>');
        for (const e of entries) {
            out.push(
                `<tr><td><code>${escapeHtml(e.moduleId)}</code></td>` +
                    `<td class="num">${(e.fireRate * 100).toFixed(1)} %</td><td class="bad">${e.warn ? '⚠ noisy' : ''}</td></tr>`,
            );
        }
        out.push('</tbody></table>');
    }
    return { title: `Heddle Signal Health: ${name}`, body: out.join('\n') };
}

export function renderHooks(r: HooksResult, name: string): Report {
    const hooks = r.hooks ?? [];
    const out = [`<h1>${escapeHtml(name)}</h1>`, `<p>${hooks.length} hook${hooks.length === 1 ? '' : 's'}${sourceNote(r.source)}</p>`];
    if (hooks.length === 0) {
        out.push('<p><em>No hooks configured.</em></p>');
    } else {
        out.push('<table><thead><tr><th>name</th><th>events</th><th>command</th><th class="num">timeout</th></tr></thead><tbody>');
        for (const h of hooks) {
            out.push(
                `<tr><td>${escapeHtml(h.name)}</td><td>${escapeHtml((h.events ?? []).join(', ')) || '—'}</td>` +
                    `<td><code>${escapeHtml(h.command)}</code></td><td class="num">${h.timeoutMs ? `${h.timeoutMs} ms` : '—'}</td></tr>`,
            );
        }
        out.push('</tbody></table>');
    }
    return { title: `Heddle Hooks: ${name}`, body: out.join('\n') };
}
