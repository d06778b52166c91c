// Pure markdown rendering of the read-only query results that are shown as documents
// (signal health, hooks), and of an explain result when the server sent no markdown.
import type { ExplainResult, HooksResult, SignalHealthResult } from './lsp_ext';
import { escapeMarkdown, folderName } from './status';

function cell(s: string): string {
    return escapeMarkdown(s).replace(/\n/g, ' ');
}

export function renderExplain(r: ExplainResult): string {
    if (r.markdown && r.markdown.trim()) return r.markdown;
    const lines = [`# heddle: ${escapeMarkdown(folderName(r.folder))}`, '', '| step | ok | µs | detail |', '|---|---|---:|---|'];
    for (const s of r.steps ?? []) {
        lines.push(`| ${cell(s.step)} | ${s.ok ? '✓' : '✗'} | ${s.micros} | ${cell(s.detail)} |`);
    }
    return lines.join('\n') + '\n';
}

export function renderSignalHealth(r: SignalHealthResult): string {
    const entries = [...(r.entries ?? [])].sort((a, b) => Number(b.warn) - Number(a.warn) || b.fireRate - a.fireRate);
    const warns = entries.filter((e) => e.warn).length;
    const lines = [
        `# Signal health: ${escapeMarkdown(folderName(r.folder))}`,
        '',
        `Window: last ${r.windowStates} states · ${entries.length} module${entries.length === 1 ? '' : 's'} · ${warns} warning${warns === 1 ? '' : 's'}`,
        '',
    ];
    if (entries.length === 0) {
        lines.push('_No signal modules reported._');
    } else {
        lines.push('| module | fire rate | |', '|---|---:|---|');
        for (const e of entries) {
            lines.push(`| ${cell(e.moduleId)} | ${(e.fireRate * 100).toFixed(1)} % | ${e.warn ? '⚠ noisy' : ''} |`);
        }
    }
    return lines.join('\n') + '\n';
}

export function renderHooks(r: HooksResult): string {
    const hooks = r.hooks ?? [];
    const lines = [`# Hooks: ${escapeMarkdown(folderName(r.folder))}`, ''];
    if (hooks.length === 0) {
        lines.push('_No hooks configured._');
    } else {
        lines.push('| name | events | command | timeout |', '|---|---|---|---:|');
        for (const h of hooks) {
            lines.push(
                `| ${cell(h.name)} | ${cell((h.events ?? []).join(', '))} | \`${h.command.replace(/`/g, "'").replace(/\|/g, '\\|')}\` | ${h.timeoutMs ? `${h.timeoutMs} ms` : '—'} |`,
            );
        }
    }
    return lines.join('\n') + '\n';
}
