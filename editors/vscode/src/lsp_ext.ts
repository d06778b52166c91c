// The heddle-ls protocol extensions, declared once: the `heddle/status` notification, the
// `experimental/serverStatus` and `heddle/operationsChanged` notifications, and the
// workspace/executeCommand commands with their argument and result shapes (see DESIGN.md,
// "LSP contract" and its second edition). Second-edition fields are optional: an older
// server does not send them.
//
// Only types and string constants live here, so the pure modules (status.ts, operations.ts,
// reports.ts) can import them without loading `vscode`.

/** Every daemon state, in the spelling of the contract. */
export type State =
    | 'no-repo'
    | 'stopped'
    | 'invalid-pidfile'
    | 'stale'
    | 'starting'
    | 'unreachable'
    | 'denied'
    | 'unhealthy'
    | 'ready';

/** `heddle/status` params, and each element of the `heddle.status` result. */
export interface FolderStatus {
    folder: string; // folder URI, e.g. file:///abs/folder
    root?: string;
    heddleDir?: string;
    state: State;
    reason?: string;
    message?: string;
    hint?: string;
    pid?: number;
    socket?: string;
    api?: string;
    since?: string; // RFC 3339
    /** The server's verdict (second edition); absent from an older server: render neutral. */
    health?: Health;
    /** Where `heddle.operations` would go now. */
    queries?: 'daemon' | 'cli' | 'none';
    /** The heddle CLI the server found, or null. */
    heddle?: { path: string; version: string } | null;
    /** The mount daemon (heddled), from its files; null when it is not running (normal). */
    mount?: MountStatus | null;
}

export type Health = 'ok' | 'warning' | 'error';

export interface MountStatus {
    state: 'running' | 'stale' | 'denied' | 'unknown-protocol' | string;
    reason?: string;
    message?: string;
    pid?: number;
    protocol?: number;
    mounts?: number;
}

export const statusNotification = 'heddle/status';

/** rust-analyzer's aggregate status, sent only when the client declares the capability. */
export interface ServerStatusParams {
    health: Health;
    quiescent: boolean;
    message?: string;
}
export const serverStatusNotification = 'experimental/serverStatus';

/** The folder's operation log changed (second edition); `folder` as the client sent it. */
export interface OperationsChangedParams {
    folder: string;
    headId?: number;
}
export const operationsChangedNotification = 'heddle/operationsChanged';

/** Which source answered a query (second edition). */
export type QuerySource = 'daemon' | 'cli';

/** Server-side command ids (workspace/executeCommand). The client registers its own ids. */
export const serverCommands = {
    status: 'heddle.status',
    refresh: 'heddle.refresh',
    explain: 'heddle.explain',
    operations: 'heddle.operations',
    signalHealth: 'heddle.signalHealth',
    hooks: 'heddle.hooks',
} as const;

export interface ExplainStep {
    step: string;
    ok: boolean;
    micros: number;
    detail: string;
}
export interface ExplainResult {
    folder: string;
    markdown: string;
    steps: ExplainStep[];
    /** The probe's own verdict (second edition). */
    status?: FolderStatus;
}

export interface OperationsQuery {
    actor?: string;
    symbol?: string;
    signalKind?: string;
    thread?: string;
    verbs?: string[];
    sinceSecs?: number;
    untilSecs?: number;
    limit?: number;
    includeCheckpoints?: boolean;
}
export interface Operation {
    seq: number;
    timestampSecs: number;
    verb: string;
    actorEmail: string;
    operationId: string;
    thread: string;
    symbols: string[] | null;
    signalKinds: string[] | null;
    stateId: string; // lowercase hex
    stateRef?: string; // the id as heddle prints it (hs-…/hd-…); may be ""
}
export interface OperationsResult {
    folder: string;
    source?: QuerySource;
    hits: Operation[] | null;
}

export interface SignalHealthEntry {
    moduleId: string;
    fireRate: number;
    warn: boolean;
}
export interface SignalHealthResult {
    folder: string;
    source?: QuerySource;
    windowStates: number;
    entries: SignalHealthEntry[] | null;
}

export interface Hook {
    name: string;
    command: string;
    events: string[] | null;
    timeoutMs: number;
}
export interface HooksResult {
    folder: string;
    source?: QuerySource;
    hooks: Hook[] | null;
}

/** Initialization options and `workspace/didChangeConfiguration` settings, section `heddle`. */
export interface ServerSettings {
    notifications: 'off' | 'errors' | 'transitions';
    connectTimeoutMs: number;
    healthTimeoutMs: number;
    queryTimeoutMs: number;
    /** The heddle CLI: "" looks on PATH, "off" never runs it. */
    heddlePath: string;
}
