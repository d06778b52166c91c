// Reads the `heddle.*` settings and says which changes need a server restart.
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { ServerSettings } from './lsp_ext';
import type { ShowSetting } from './status';

export const section = 'heddle';

/** Settings whose change only takes effect in a new server process. */
const restartKeys = ['heddle.server.path', 'heddle.server.extraEnv'];

export class Config {
    constructor(private readonly extensionPath: string) {}

    private get cfg(): vscode.WorkspaceConfiguration {
        return vscode.workspace.getConfiguration(section);
    }

    /** The settings the server understands, passed as initializationOptions `{heddle: …}`. */
    serverSettings(): ServerSettings {
        const c = this.cfg;
        return {
            notifications: c.get<ServerSettings['notifications']>('notifications', 'errors'),
            connectTimeoutMs: c.get<number>('connectTimeoutMs', 50),
            healthTimeoutMs: c.get<number>('healthTimeoutMs', 150),
            queryTimeoutMs: c.get<number>('queryTimeoutMs', 2000),
        };
    }

    get statusBarShow(): ShowSetting {
        return this.cfg.get<ShowSetting>('statusBar.show', 'whenRepo');
    }

    get operationsLimit(): number {
        return this.cfg.get<number>('operations.limit', 50);
    }

    get extraEnv(): Record<string, string> {
        return this.cfg.get<Record<string, string> | null>('server.extraEnv', null) ?? {};
    }

    /** The bundled binary for this platform, if the .vsix carries one. */
    bundledServerPath(): string | undefined {
        const exe = process.platform === 'win32' ? 'heddle-ls.exe' : 'heddle-ls';
        const p = path.join(this.extensionPath, 'server', exe);
        return fs.existsSync(p) ? p : undefined;
    }

    /**
     * The server executable: `heddle.server.path` (with `~` and `${userHome}` expanded), else
     * the bundled binary, else `heddle-ls` resolved on PATH by the spawn.
     */
    serverPath(): { path: string; source: 'setting' | 'bundled' | 'PATH' } {
        const configured = this.cfg.get<string | null>('server.path', null);
        if (configured && configured.trim()) {
            return { path: expandHome(configured.trim()), source: 'setting' };
        }
        const bundled = this.bundledServerPath();
        if (bundled) return { path: bundled, source: 'bundled' };
        return { path: 'heddle-ls', source: 'PATH' };
    }

    needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
        return restartKeys.some((k) => e.affectsConfiguration(k));
    }
}

/**
 * Whether `dir` is inside a heddle repository: a `.heddle` directory in it or in any ancestor.
 * The same walk-up the server does (it then checks `objects/` or an `objectstore` pointer);
 * here it only decides whether starting the server is worth it.
 */
export function inHeddleRepo(dir: string): boolean {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        try {
            if (fs.statSync(path.join(d, '.heddle')).isDirectory()) return true;
        } catch {
            /* not here */
        }
        if (path.dirname(d) === d) return false;
    }
}

function expandHome(p: string): string {
    const home = os.homedir();
    if (p === '~') return home;
    if (p.startsWith('~/')) return path.join(home, p.slice(2));
    return p.replace(/\$\{userHome\}/g, home);
}
