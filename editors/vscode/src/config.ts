// Reads the `heddle.*` settings and says which changes need a server restart.
//
// The settings that name programs (`server.path`, `server.extraEnv`, `heddlePath`) have scope
// `window`, not `machine-overridable`: in a remote window (Remote - SSH, WSL, code-server)
// VS Code drops machine-scoped values from the User settings once it knows the extension's
// schema, and whether the extension host started before or after that re-parse decided
// whether a user's `heddle.server.path` was seen. `window` is read from User, Remote and
// Workspace settings alike; in untrusted workspaces the three are restricted (package.json),
// so a cloned repository's .vscode/settings.json cannot make the editor run its programs.
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
            heddlePath: c.get<string | null>('heddlePath', '') ?? '',
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
     * the bundled binary, else `heddle-ls` resolved on PATH by the spawn. Read at every start,
     * so a restart picks up a changed setting.
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
 * Whether `dir` is inside a heddle repository: a `.heddle` directory holding `objects/` or an
 * `objectstore` pointer, in it or in any ancestor (the server's discovery, which then reads
 * the pointer). A `.heddle` that `heddle init` is still filling does not count yet; the
 * repository watcher sees `objects` appear. Here it only decides whether starting the server
 * is worth it.
 */
export function inHeddleRepo(dir: string): boolean {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        if (isHeddleRoot(d)) return true;
        if (path.dirname(d) === d) return false;
    }
}

function isHeddleRoot(d: string): boolean {
    const dot = path.join(d, '.heddle');
    try {
        if (fs.statSync(path.join(dot, 'objects')).isDirectory()) return true;
    } catch {
        /* not here */
    }
    try {
        return fs.statSync(path.join(dot, 'objectstore')).isFile();
    } catch {
        return false;
    }
}

function expandHome(p: string): string {
    const home = os.homedir();
    if (p === '~') return home;
    if (p.startsWith('~/')) return path.join(home, p.slice(2));
    return p.replace(/\$\{userHome\}/g, home);
}
