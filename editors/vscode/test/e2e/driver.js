// End-to-end test of the packaged extension in a real VS Code (code-server) driven through
// Debian's chromium with playwright-core. Started by scripts/e2e.sh, which has already
// installed the .vsix into a fresh profile and started code-server.
//
// Scenario (every step asserts on what the workbench shows or the extension host wrote):
//   1. a folder with no heddle repository: the extension activates and stays quiet — no
//      status bar item, no output channel (both are created lazily); Show Version works
//   2. the repository appears (heddle-sim makes .heddle/objects, then serves): "heddle ready"
//      without a reload; now the Heddle log channel exists, the trace channel does not
//      (heddle.trace.server is off); tooltip with the server's version and the folder's "since"
//   3. SIGINT the daemon → "heddle stopped", coloured as the server's health says (measured);
//      start it again → "heddle ready" (measured)
//   4. heddle.trace.server on → the "Heddle LSP Trace" channel appears with the traffic
//   5. Show Recent Operations → the daemon's newest operation first; a daemon restarted with
//      a longer log (new pid) reloads the open view by itself; "Filter by This Actor" from a
//      row's context menu
//   6. Explain Status, Show Signal Health, Show Hooks → panels with readable titles
//   7. a click on the status bar with one folder → straight to that folder's actions
//   8. two-folder workspace (dark theme), one daemon stopped → "heddle 1/2 ready", tooltip
//      names both, no partial aggregate on the way
//   9. kill heddle-ls four times → restarts are capped: "heddle-ls failed", the toast offers
//      Restart Server (not Configure Path), no fifth process; a command says the server is
//      not running; Restart Server recovers; Stop Server and Start Server
//  10. heddle.server.path: e2e.sh sets it in the User settings before code-server starts (it
//      used to be dropped now and then in remote windows), so steps 1–9 run the repository's
//      bin/heddle-ls; a missing file set while the window runs → "heddle-ls failed" naming the
//      setting; removed → back, also after Restart Server; the User setting removed → the
//      binary bundled in the .vsix runs
//
// Environment (set by e2e.sh): CS_URL, RUN, REPO, EXT_DIR (installed extension dir),
// SHOTS (screenshot dir), PIDS_FILE (process groups to kill on failure).
'use strict';
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const env = (k) => {
    const v = process.env[k];
    if (!v) throw new Error(`missing env ${k}`);
    return v;
};
const CS_URL = env('CS_URL');
const RUN = env('RUN');
const REPO = env('REPO');
const EXT_DIR = env('EXT_DIR');
const SHOTS = env('SHOTS');
const PIDS_FILE = env('PIDS_FILE');
const SIM = path.join(REPO, 'bin', 'heddle-sim');
const HEDDLE_LS = path.join(REPO, 'bin', 'heddle-ls');
const BUNDLED = fs.realpathSync(path.join(EXT_DIR, 'server', 'heddle-ls'));
// e2e.sh puts heddle.server.path = this in the User settings before code-server starts, as a
// user who runs their own build does; step 10 removes it and the bundled binary takes over.
const OWN = fs.realpathSync(HEDDLE_LS);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// code-server's window is remote: "User" settings are the browser side's (read when a window
// loads; a change on disk is not noticed until the next load), "Machine" settings are the
// server side's (watched on disk, like a remote's settings).
const SETTINGS = { User: path.join(RUN, 'user', 'User', 'settings.json'), Machine: path.join(RUN, 'user', 'Machine', 'settings.json') };
const LOGS = path.join(RUN, 'user', 'logs');

// Deadlines: the workbench takes 7–13 s on two busy cores, the first status up to ~20 s.
const T_WORKBENCH = 120_000;
const T_FIRST_STATUS = 90_000;
const T_CHANGE = 30_000;
const T_UI = 20_000;

const t0 = Date.now();
const log = (...a) => console.error(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const result = { steps: {}, timings: {}, screenshots: [] };

function assert(cond, msg) {
    if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Waits, on a deadline, for `probe()` to return something truthy (for files and /proc, which have no event here). */
async function until(page, what, timeout, probe) {
    const deadline = Date.now() + timeout;
    for (;;) {
        const v = probe();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
        await page.waitForTimeout(100);
    }
}

// --- heddle-sim processes ------------------------------------------------------------------

const sims = new Map(); // repo dir → child

/**
 * Starts heddle-sim (its daemon, or with `sub` a subcommand such as mountd) in its own process
 * group; resolves once it says it is ready.
 */
function startSim(repo, args = [], sub = undefined) {
    fs.mkdirSync(repo, { recursive: true });
    const argv = [...(sub ? [sub] : []), '--repo', repo, ...args];
    const child = spawn(SIM, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    fs.appendFileSync(PIDS_FILE, `${child.pid}\n`);
    sims.set(sub ? `${sub} ${repo}` : repo, child);
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`heddle-sim --repo ${repo}: not ready within 20 s`)), 20_000);
        const lines = readline.createInterface({ input: child.stderr });
        lines.on('line', (line) => {
            if (/heddle-sim: ready \(pid \d+\)/.test(line)) {
                clearTimeout(timer);
                resolve(child);
            }
        });
        child.on('exit', (code, sig) => {
            clearTimeout(timer);
            reject(new Error(`heddle-sim --repo ${repo} exited (${code ?? sig}) before ready`));
        });
    });
}

/** SIGINT (by default): heddle-sim stops cleanly and removes its files. Resolves on exit. */
function stopSim(key, signal = 'SIGINT') {
    const child = sims.get(key);
    sims.delete(key);
    return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
    });
}

/** Appends one operation to `repo`'s log the way heddle publishes it (heddle-sim append). */
function appendOp(repo, verb, actor, thread, timestampSecs) {
    execFileSync(SIM, ['append', '--repo', repo, '--verb', verb, '--actor', actor, '--thread', thread, '--timestamp', String(timestampSecs)]);
}

/** The server's own view of a folder (`heddle-ls status --json`): what the extension must show. */
function serverStatus(dir, heddle = undefined) {
    const args = ['status', '--json', ...(heddle ? ['--heddle', heddle] : []), dir];
    try {
        return JSON.parse(execFileSync(HEDDLE_LS, args, { encoding: 'utf8' }))[0];
    } catch (e) {
        return JSON.parse(e.stdout)[0]; // exit 1: not ready, the JSON is still there
    }
}

// --- settings and the extension host's files ----------------------------------------------

function writeSettings(which, patch) {
    const file = SETTINGS[which];
    const s = { ...(fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete s[k];
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(s, null, 2));
}

/** Every extension host log directory so far (one per window load). */
function exthostDirs() {
    const out = [];
    if (!fs.existsSync(LOGS)) return out;
    for (const session of fs.readdirSync(LOGS)) {
        const dir = path.join(LOGS, session);
        for (const d of fs.readdirSync(dir)) if (/^exthost\d+$/.test(d)) out.push(path.join(dir, d));
    }
    return out;
}

/** The Heddle log channel's file in an extension host's log directory, if the channel exists. */
function heddleLogFile(exthost) {
    const f = path.join(exthost, 'heddle-ls.heddle', 'Heddle.log');
    return fs.existsSync(f) ? f : undefined;
}

/** The plain "Heddle LSP Trace" channel's file, if the channel exists. */
function traceFile(exthost) {
    for (const d of fs.readdirSync(exthost)) {
        if (!d.startsWith('output_logging_')) continue;
        const f = fs.readdirSync(path.join(exthost, d)).find((n) => n.endsWith('Heddle LSP Trace.log'));
        if (f) return path.join(exthost, d, f);
    }
    return undefined;
}

function readIfExists(f) {
    return f && fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
}

// --- the page ------------------------------------------------------------------------------

/**
 * Records every text of the heddle status bar item with the wall-clock time it appeared, via
 * a MutationObserver in the page: the moment of the DOM change, not of our next poll.
 */
async function installStatusRecorder(page) {
    await page.evaluate(() => {
        const w = window;
        w.__heddle = [];
        const read = () => {
            for (const el of document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')) {
                const text = (el.textContent || '').trim();
                if (/^heddle(-ls)?(\s|$)/.test(text)) return text;
            }
            return null;
        };
        let last;
        const record = () => {
            const text = read();
            if (text !== last) {
                last = text;
                w.__heddle.push({ at: Date.now(), text });
            }
        };
        record();
        new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
}

async function statusLog(page) {
    return page.evaluate(() => window.__heddle);
}

function heddleItem(page) {
    return page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: /^\s*heddle(-ls)?(\s|$)/ });
}

/** Waits until the status bar item reads `text` (exactly, after trimming); returns when the DOM changed. */
async function waitStatus(page, text, timeout, sinceMs = 0) {
    const exact = new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*$`);
    await heddleItem(page).filter({ hasText: exact }).first().waitFor({ timeout });
    const entries = await statusLog(page);
    const hit = entries.find((e) => e.at >= sinceMs && e.text !== null && exact.test(e.text));
    return hit ? hit.at : Date.now();
}

async function background(page) {
    return heddleItem(page).first().evaluate((el) => getComputedStyle(el).backgroundColor);
}

/** The computed colour of a theme colour id (e.g. statusBarItem.warningBackground) in this window. */
async function themeColor(page, id) {
    return page.evaluate((v) => {
        const probe = document.createElement('div');
        probe.style.background = `var(${v})`;
        document.querySelector('.monaco-workbench').appendChild(probe);
        const c = getComputedStyle(probe).backgroundColor;
        probe.remove();
        return c;
    }, `--vscode-${id.replace('.', '-')}`);
}

/** The status bar background the server's health asks for (neutral without a health). */
async function expectedBackground(page, health, neutral) {
    if (health === 'error') return themeColor(page, 'statusBarItem.errorBackground');
    if (health === 'warning') return themeColor(page, 'statusBarItem.warningBackground');
    return neutral;
}

/** Waits for every finite animation and transition (toasts sliding in, hovers fading) to end. */
async function settle(page) {
    await page.evaluate(() =>
        Promise.all(
            document
                .getAnimations()
                .filter((a) => a.playState === 'running' && a.effect && a.effect.getComputedTiming().endTime !== Infinity)
                .map((a) => a.finished.catch(() => {})),
        ),
    );
}

/** Saves a screenshot of the union of the given locators' boxes, padded; the whole page without. */
async function shot(page, name, locators = [], pad = 8) {
    await settle(page);
    const file = path.join(SHOTS, name);
    const opts = { path: file };
    if (locators.length) {
        const boxes = [];
        for (const l of locators) {
            const b = await l.first().boundingBox();
            if (b) boxes.push(b);
        }
        assert(boxes.length, `${name}: nothing to crop to`);
        const vp = page.viewportSize();
        const x = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
        const y = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
        const r = Math.min(vp.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad);
        const bt = Math.min(vp.height, Math.max(...boxes.map((b) => b.y + b.height)) + pad);
        opts.clip = { x, y, width: r - x, height: bt - y };
    }
    await page.screenshot(opts);
    result.screenshots.push(path.relative(REPO, file));
    log('screenshot', name);
}

const hoverWidget = (page) => page.locator('.workbench-hover, .monaco-hover').filter({ visible: true });
const statusBar = (page) => page.locator('#workbench\\.parts\\.statusbar');

async function runCommand(page, title) {
    await page.keyboard.press('Escape');
    // Take focus back from a webview or a hover: F1 pressed inside a webview's frame does not
    // reach the workbench. (Clicking the editor area for that, as this driver once did, waited
    // out a 20 s actionability timeout whenever a webview covered it: the "40 s quick pick".)
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: T_UI });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: T_UI });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: T_UI });
}

/**
 * Opens `query` (folder=… or workspace=…) and waits until the workbench shows exactly the
 * expected folders in the Explorer. Returns the new window's extension host log directory.
 */
async function openWorkbench(page, query, folders) {
    const start = Date.now();
    const before = new Set(exthostDirs());
    await page.goto(`${CS_URL}/?${query}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: T_WORKBENCH });
    await installStatusRecorder(page);
    const rows = page.locator('.explorer-folders-view .monaco-list-row');
    for (const f of folders) await rows.filter({ hasText: new RegExp(`^\\s*${f}\\s*$`) }).first().waitFor({ timeout: T_WORKBENCH });
    const exthost = await until(page, 'a new extension host', T_WORKBENCH, () => exthostDirs().find((d) => !before.has(d)));
    log(`workbench up with ${folders.join(', ')} in ${Date.now() - start} ms (${path.basename(exthost)})`);
    return { start, exthost };
}

/**
 * Seeds VS Code's cached copy of a .code-workspace before its first open, so the window starts
 * with its folders.
 *
 * Why: the workbench (code-server 4.139.1 = VS Code 1.139.1) opens a remote workspace file
 * from its cached copy (empty the first time) and reads the real file in the background; when
 * that read completes before the workspace object is in place, WorkspaceService
 * .onWorkspaceConfigurationChanged finds no workspace yet and drops the folders, while the
 * workspace is still marked initialized: the window shows "No Folder Opened — You have not yet
 * added a folder to the workspace" for good (a reload, which starts from the copy cached
 * meanwhile, opens fine). Measured here: 2 to 5 windows in 15 under CPU load, none in 35 with
 * the cache seeded. The cache is `User/caches/CachedConfigurations/workspaces/<id>/workspace.json`
 * with id = VS Code's string hash of the workspace URI; the seed carries a marker setting so
 * `checkSeedUsed` can tell VS Code rewrote that very file (the id was right).
 */
const SEED_MARK = 'heddle.e2e.seededCache';
function workspaceCacheFile(wsFile) {
    const numberHash = (v, h) => ((h << 5) - h + v) | 0; // vs/base/common/hash.ts
    const uri = `vscode-remote://${new URL(CS_URL).host}${wsFile}`;
    let h = numberHash(149417, 0);
    for (let i = 0; i < uri.length; i++) h = numberHash(uri.charCodeAt(i), h);
    return path.join(RUN, 'user', 'User', 'caches', 'CachedConfigurations', 'workspaces', h.toString(16), 'workspace.json');
}
function seedWorkspaceCache(wsFile) {
    const ws = JSON.parse(fs.readFileSync(wsFile, 'utf8'));
    const seeded = { ...ws, settings: { ...ws.settings, [SEED_MARK]: true } };
    const f = workspaceCacheFile(wsFile);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, JSON.stringify({ content: JSON.stringify(seeded) }));
}
function checkSeedUsed(page, wsFile) {
    return until(page, `VS Code rewriting the seeded workspace cache ${workspaceCacheFile(wsFile)}`, T_CHANGE, () => !readIfExists(workspaceCacheFile(wsFile)).includes(SEED_MARK));
}

/** heddle-ls processes running `exe` (the configured binary by default), by pid. */
function serverPids(exe = OWN) {
    const pids = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            if (fs.readlinkSync(`/proc/${d}/exe`) === exe) pids.push(Number(d));
        } catch {
            /* gone, or not ours */
        }
    }
    return pids;
}

/** Waits, on a deadline, for a heddle-ls pid (of `exe`) that is not in `old`. */
function waitNewServer(page, old, timeout, exe = OWN) {
    return until(page, `a new ${exe} process (old: ${old})`, timeout, () => serverPids(exe).find((p) => !old.includes(p)));
}

const toast = (page, text) => page.locator('.notification-toast', { hasText: text }).first();

// --- the scenario ----------------------------------------------------------------------------

async function main(page) {
    const alpha = path.join(RUN, 'ws', 'alpha');
    const beta = path.join(RUN, 'ws', 'beta');
    const version = execFileSync(BUNDLED, ['version'], { encoding: 'utf8' }).trim().replace(/^heddle-ls /, '');

    // 1. a folder that is not (yet) a heddle repository: quiet, and no output channel
    fs.mkdirSync(alpha, { recursive: true });
    fs.writeFileSync(path.join(alpha, 'README.md'), '# alpha\n');
    const w1 = await openWorkbench(page, `folder=${encodeURIComponent(alpha)}`, ['README.md']);
    // A command waits for the extension's activation, so after its answer activate() is done.
    await runCommand(page, 'Heddle: Show Version');
    // heddle.server.path from the User settings is seen at the first start (issue: not always)
    await toast(page, `heddle-ls is not running (would start ${OWN}, setting)`).waitFor({ timeout: T_CHANGE });
    assert((await heddleItem(page).count()) === 0, 'no heddle status bar item without a repository');
    assert(!heddleLogFile(w1.exthost), 'no Heddle output channel in a window without a repository');
    assert(!traceFile(w1.exthost), 'no trace channel in a window without a repository');
    await page.keyboard.press('Escape');
    result.steps.noRepo = 'activated; no status bar item, no output channel';

    // 2. the repository appears: heddle-sim creates .heddle/objects, then serves
    const appeared = Date.now();
    await startSim(alpha);
    const readyAt = await waitStatus(page, 'heddle ready', T_FIRST_STATUS, appeared);
    result.timings.repositoryToReadyMs = readyAt - appeared;
    log(`repository appeared → "heddle ready" in ${result.timings.repositoryToReadyMs} ms, no reload`);
    const heddleLog = readIfExists(heddleLogFile(w1.exthost));
    assert(/a heddle repository appeared; starting heddle-ls/.test(heddleLog.split('\n')[0]), `the log channel begins with the repository appearing:\n${heddleLog.slice(0, 500)}`);
    assert(!traceFile(w1.exthost), 'no trace channel while heddle.trace.server is off');
    const item = heddleItem(page);
    assert((await item.locator('.codicon').count()) === 1, 'the status bar item has one icon');
    const readyBg = await background(page);
    assert(readyBg === (await expectedBackground(page, serverStatus(alpha).health, readyBg)), 'ready: no background');
    result.steps.ready = { text: (await item.textContent()).trim(), background: readyBg };
    await shot(page, 'statusbar-ready.png', [item]);
    await runCommand(page, 'Heddle: Show Version');
    await toast(page, `heddle-ls ${version} (setting: ${OWN})`).waitFor({ timeout: T_UI });
    await item.hover();
    const tip = hoverWidget(page).filter({ hasText: '1 of 1 folder ready' }).first();
    await tip.waitFor({ timeout: T_UI });
    const tipText = await tip.innerText();
    assert(tipText.includes(`heddle-ls ${version}`), `tooltip names the server version ${version}:\n${tipText}`);
    assert(/alpha\s*—\s*ready since \d\d:\d\d/.test(tipText), `tooltip shows alpha ready since hh:mm:\n${tipText}`);
    await page.mouse.move(700, 300);

    // 3. SIGINT the daemon → stopped, coloured by the server's verdict; start → ready
    const stopSignal = Date.now();
    await stopSim(alpha);
    const stoppedAt = await waitStatus(page, 'heddle stopped', T_CHANGE, stopSignal);
    result.timings.stopToStatusBarMs = stoppedAt - stopSignal;
    log(`daemon SIGINT → "heddle stopped": ${result.timings.stopToStatusBarMs} ms`);
    const stopped = serverStatus(alpha);
    const stoppedBg = await background(page);
    const wantBg = await expectedBackground(page, stopped.health, readyBg);
    assert(stoppedBg === wantBg, `stopped with health ${stopped.health}: background ${stoppedBg}, want ${wantBg}`);
    result.steps.stopped = { health: stopped.health ?? null, background: stoppedBg };
    await shot(page, 'statusbar-stopped.png', [heddleItem(page)]);
    const startSignal = Date.now();
    await startSim(alpha);
    const againAt = await waitStatus(page, 'heddle ready', T_CHANGE, startSignal);
    result.timings.startToStatusBarMs = againAt - startSignal;
    log(`daemon start → "heddle ready": ${result.timings.startToStatusBarMs} ms`);

    // 4. tracing on: the trace channel appears with the LSP traffic ($/setTrace and the
    // settings notification are the first traced messages; then a request of ours)
    writeSettings('Machine', { 'heddle.trace.server': 'messages' });
    const traced = await until(page, 'the Heddle LSP Trace channel', T_CHANGE, () => traceFile(w1.exthost));
    await runCommand(page, 'Heddle: Refresh');
    await until(page, 'a traced executeCommand request', T_CHANGE, () => /Sending request 'workspace\/executeCommand/.test(readIfExists(traced)));
    result.steps.trace = path.basename(traced);

    // 5. Show Recent Operations → the newest operation first
    const newest = (dir) => JSON.parse(execFileSync(HEDDLE_LS, ['ops', '--json', '--limit', '1', dir], { encoding: 'utf8' })).hits[0];
    const expected = newest(alpha);
    assert(expected && expected.verb, 'heddle-ls ops returned an operation');
    await runCommand(page, 'Heddle: Show Recent Operations');
    // Room for the screenshot: collapse the file tree section, widen the side bar.
    await page.locator('.pane-header', { hasText: 'alpha' }).first().click();
    let box = null;
    for (const sash of await page.locator('.monaco-sash.vertical').all()) {
        const b = await sash.boundingBox();
        if (b && b.x > 300 && b.x < 400 && b.height > 400) box = b; // side bar | editor
    }
    if (box) {
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(760, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
    }
    const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Heddle Operations' }) });
    let rowText;
    const firstRow = pane.locator('.monaco-list-row').first();
    const firstRowIs = async (op) => {
        await firstRow.filter({ hasText: op.verb }).filter({ hasText: op.actorEmail }).waitFor({ timeout: T_CHANGE });
        return (await firstRow.innerText()).replace(/\s+/g, ' ').trim();
    };
    rowText = await firstRowIs(expected);
    assert(rowText.startsWith(expected.verb), `first row "${rowText}" starts with the newest verb ${expected.verb}`);
    assert(rowText.includes(expected.thread), `first row "${rowText}" names thread ${expected.thread}`);
    result.steps.operations = { firstRow: rowText, expected: { seq: expected.seq, verb: expected.verb, actor: expected.actorEmail } };
    // 5b. the daemon restarts with a longer log (a new pid): the open view reloads by itself
    await stopSim(alpha);
    await startSim(alpha, ['--ops', '150']);
    const longer = newest(alpha);
    assert(longer.seq !== expected.seq, `the restarted daemon's newest operation differs (${longer.seq})`);
    rowText = await firstRowIs(longer);
    result.steps.operationsReloaded = rowText;

    // 5c. operations appended to the log, published as heddle does, reach the open view by
    // themselves (heddle/operationsChanged), with recent times (also for the README's picture)
    const now = Math.floor(Date.now() / 1000);
    // A day and a half of work, oldest first, ending 4 minutes ago.
    const verbs = ['thread_create', 'snapshot', 'fork', 'snapshot', 'conflict_resolved', 'marker_create', 'goto', 'snapshot', 'collapse'];
    const actors = ['grace@example.com', 'agent@example.com', 'ada@example.com'];
    const threads = ['feature/search', 'main', 'fix/login', 'main'];
    const recent = Array.from({ length: 30 }, (_, i) => {
        const ago = Math.round(4 * 60 * Math.pow(1.32, 29 - i)); // 4 min … ~36 h
        return [verbs[i % verbs.length], actors[i % actors.length], threads[i % threads.length], ago];
    });
    recent[recent.length - 1] = ['snapshot', 'ada@example.com', 'main', 4 * 60];
    for (const [verb, actor, thread, ago] of recent) appendOp(alpha, verb, actor, thread, now - ago);
    await firstRowIs({ verb: 'snapshot', actorEmail: 'ada@example.com' });
    const appendedAt = Date.now();
    appendOp(alpha, 'collapse', 'grace@example.com', 'feature/search', Math.floor(appendedAt / 1000) - 20);
    rowText = await firstRowIs({ verb: 'collapse', actorEmail: 'grace@example.com' });
    result.timings.appendToViewMs = Date.now() - appendedAt;
    assert(/just now/.test(rowText), `the appended row reads its age: ${rowText}`);
    log(`operation appended → first row of the open view: ${result.timings.appendToViewMs} ms (no click)`);
    const appended = newest(alpha);
    await firstRow.hover();
    const opTip = hoverWidget(page).filter({ hasText: appended.operationId }).first();
    await opTip.waitFor({ timeout: T_UI });
    await shot(page, 'operations-view.png', [page.locator('#workbench\\.parts\\.sidebar'), opTip, heddleItem(page)]);
    await page.mouse.move(1000, 300);

    // 5d. a row's context menu: Filter by This Actor
    await firstRow.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.locator('.action-item', { hasText: 'Copy Operation ID' }).first().waitFor({ timeout: T_UI });
    // The keyboard, as a pointer click on a menu item opened by a synthetic right-click is
    // dropped by the web menu; the order of the items is package.json's.
    const wanted = menu.locator('.action-item.focused', { hasText: 'Filter by This Actor' });
    for (let i = 0; i < 6 && !(await wanted.count()); i++) await page.keyboard.press('ArrowDown');
    assert(await wanted.count(), 'the context menu offers Filter by This Actor');
    await page.keyboard.press('Enter');
    await page.locator('.pane-header', { hasText: `actor=${appended.actorEmail}` }).first().waitFor({ timeout: T_CHANGE });
    // The header's description and the rows reach the page separately: wait for the rows.
    await pane.locator('.monaco-list-row').filter({ hasNotText: appended.actorEmail }).first().waitFor({ state: 'detached', timeout: T_CHANGE });
    const rows = await pane.locator('.monaco-list-row').allInnerTexts();
    assert(rows.length > 1 && rows.every((r) => r.includes(appended.actorEmail)), `every row is by ${appended.actorEmail}: ${JSON.stringify(rows.slice(0, 5))}`);
    await runCommand(page, 'Heddle: Clear Operations Filter');
    result.steps.filterByActor = { actor: appended.actorEmail, rows: rows.length };

    // 6. Explain Status, Show Signal Health, Show Hooks → panels with readable titles
    for (const [title, tab, text] of [
        ['Heddle: Explain Status', 'Heddle Status: alpha', 'pidfile'],
        ['Heddle: Show Signal Health', 'Heddle Signal Health: alpha', 'fire rate'],
        ['Heddle: Show Hooks', 'Heddle Hooks: alpha', 'hook'],
    ]) {
        await runCommand(page, title);
        await page.locator('.tabs-container .tab.active', { hasText: tab }).first().waitFor({ timeout: T_CHANGE });
        // the panel is a webview (an iframe within an iframe): wait for the rendered text
        const body = page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame').locator('body');
        await body.filter({ hasText: text }).waitFor({ timeout: T_CHANGE });
        if (tab.startsWith('Heddle Status')) {
            const t = await body.innerText();
            assert(/\d(\.\d)? (ms|µs)/.test(t), `explain times read like "1.1 ms":\n${t.slice(0, 800)}`);
            assert(!t.includes('file://'), 'explain shows paths, not URIs');
            await shot(page, 'explain.png', [page.locator('#workbench\\.parts\\.editor')]);
        }
    }
    result.steps.reports = 'explain, signal health and hooks panels opened';

    // 7. one folder: a click on the status bar goes straight to its actions
    await page.keyboard.press('Escape');
    await heddleItem(page).click();
    const qp = page.locator('.quick-input-widget');
    await qp.locator('.quick-input-title', { hasText: 'alpha — ready' }).first().waitFor({ timeout: T_UI });
    await qp.locator('.monaco-list-row', { hasText: 'Explain Status' }).first().waitFor({ timeout: T_UI });
    await qp.locator('.monaco-list-row', { hasText: 'Restart Server' }).first().waitFor({ timeout: T_UI });
    await shot(page, 'quick-pick.png', [qp]);
    await page.keyboard.press('Escape');

    // 7b. a current heddle without an agent daemon (0.13.0, set as heddle.heddlePath): the
    // daemon stopping is no alarm — queries go to the CLI, the item stays "heddle ready" with
    // no background; the open operations view keeps up through the CLI; the mount daemon shows
    // in the tooltip, and a stale one (SIGKILL) makes the folder a warning
    const heddleBin = path.join(RUN, 'bin', 'heddle');
    fs.mkdirSync(path.dirname(heddleBin), { recursive: true });
    fs.writeFileSync(heddleBin, `#!/bin/sh\nHEDDLE_SIM_VERSION=0.13.0 exec '${SIM}' cli "$@"\n`, { mode: 0o755 });
    const logAt = () => readIfExists(heddleLogFile(w1.exthost)).length;
    const logSince = (at, re) => re.test(readIfExists(heddleLogFile(w1.exthost)).slice(at));
    let mark = logAt();
    writeSettings('Machine', { 'heddle.heddlePath': heddleBin });
    await until(page, 'the server finding heddle 0.13.0 through heddle.heddlePath', T_CHANGE, () => logSince(mark, /alpha: .* → ready \(ok, queries daemon, heddle 0\.13\.0\)/));
    mark = logAt();
    await stopSim(alpha);
    await until(page, 'alpha stopped while the CLI answers', T_CHANGE, () => logSince(mark, /alpha: .* → stopped \(ok, queries cli, heddle 0\.13\.0\)/));
    const cliStatus = serverStatus(alpha, heddleBin);
    assert(cliStatus.health === 'ok' && cliStatus.queries === 'cli', `the server's verdict: ${JSON.stringify(cliStatus)}`);
    assert((await heddleItem(page).innerText()).trim() === 'heddle ready', 'a stopped daemon the CLI stands in for reads "heddle ready"');
    assert((await background(page)) === readyBg, 'and has no background');
    assert(!logSince(mark, /\[notification\]/), 'no notification when the CLI stands in for the daemon');
    appendOp(alpha, 'snapshot', 'agent@example.com', 'fix/login', Math.floor(Date.now() / 1000));
    rowText = await firstRowIs({ verb: 'snapshot', actorEmail: 'agent@example.com' });
    result.steps.cli = { status: { state: cliStatus.state, reason: cliStatus.reason, health: cliStatus.health, queries: cliStatus.queries }, firstRow: rowText };
    await startSim(alpha, ['--protocol', '3', '--mounts', '2'], 'mountd');
    await until(page, 'the mount daemon in the status', T_CHANGE, () => logSince(mark, /mount daemon running/));
    await heddleItem(page).hover();
    const tipCli = hoverWidget(page).filter({ hasText: 'Queries via the heddle CLI' }).first();
    await tipCli.waitFor({ timeout: T_UI });
    const tipCliText = await tipCli.innerText();
    assert(/alpha\s*—\s*stopped/.test(tipCliText) && tipCliText.includes('heddle 0.13.0'), `tooltip: stopped, through heddle 0.13.0:\n${tipCliText}`);
    assert(/Mount daemon running .*2 mounts/.test(tipCliText), `tooltip names the mount daemon:\n${tipCliText}`);
    await shot(page, 'tooltip-cli.png', [tipCli, heddleItem(page)]);
    await page.mouse.move(700, 300);
    await stopSim(`mountd ${alpha}`, 'SIGKILL');
    const warningBg = await themeColor(page, 'statusBarItem.warningBackground');
    await until(page, 'a stale mount daemon in the status', T_CHANGE, () => logSince(mark, /mount daemon stale/));
    await page.waitForFunction((want) => {
        const el = [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')].find((e) => /^\s*heddle/.test(e.textContent));
        return el && getComputedStyle(el).backgroundColor === want;
    }, warningBg, { timeout: T_CHANGE });
    result.steps.staleMount = 'warning background';
    // heddle sweeps a dead mount daemon's files; the folder is calm again
    mark = logAt(); // before the change: the server sees it within milliseconds
    fs.rmSync(path.join(alpha, '.heddle', 'state', 'heddled.endpoint.json'));
    await until(page, 'the mount daemon gone from the status', T_CHANGE, () => logSince(mark, /→ stopped \(ok, queries cli, heddle 0\.13\.0\): /));
    writeSettings('Machine', { 'heddle.heddlePath': undefined });
    await startSim(alpha);
    await waitStatus(page, 'heddle ready', T_CHANGE);

    // 8. two folders (dark theme): alpha ready, beta a heddle repo whose daemon is stopped
    await startSim(beta);
    await stopSim(beta);
    const wsFile = path.join(RUN, 'two.code-workspace');
    fs.writeFileSync(
        wsFile,
        JSON.stringify({ folders: [{ path: 'ws/alpha' }, { path: 'ws/beta' }], settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, null, 2),
    );
    seedWorkspaceCache(wsFile);
    const w2 = await openWorkbench(page, `workspace=${encodeURIComponent(wsFile)}`, ['alpha', 'beta']);
    await waitStatus(page, 'heddle 1/2 ready', T_FIRST_STATUS);
    const shown = (await statusLog(page)).map((e) => e.text);
    const partial = shown.slice(0, shown.indexOf('heddle 1/2 ready')).filter((t) => t === 'heddle stopped' || t === 'heddle ready');
    assert(partial.length === 0, `no partial aggregate while folders report: ${JSON.stringify(shown)}`);
    const healths = [serverStatus(alpha).health, serverStatus(beta).health]; // heddle.heddlePath is unset again
    const twoWorst = healths.includes('error') ? 'error' : healths.includes('warning') ? 'warning' : healths[0];
    const twoBg = await background(page);
    assert(twoBg === (await expectedBackground(page, twoWorst, readyBg)), `1/2 ready with worst health ${twoWorst}: background ${twoBg}`);
    await shot(page, 'statusbar-two-folders.png', [heddleItem(page)]);
    await heddleItem(page).hover();
    const tip2 = hoverWidget(page).filter({ hasText: '1 of 2 folders ready' }).first();
    await tip2.waitFor({ timeout: T_UI });
    const tip2Text = await tip2.innerText();
    assert(/beta\s*—\s*stopped/.test(tip2Text), `tooltip shows beta stopped:\n${tip2Text}`);
    assert(/alpha\s*—\s*ready/.test(tip2Text), `tooltip shows alpha ready:\n${tip2Text}`);
    result.steps.twoFolders = { tooltip: tip2Text.split('\n').filter(Boolean), background: twoBg, health: twoWorst ?? null };
    await shot(page, 'tooltip-two-folders.png', [tip2, heddleItem(page)]);
    await page.mouse.move(700, 300);

    // 9. a crashing server: killed four times → restarts are capped, error state, no loop
    let pids = serverPids();
    assert(pids.length === 1, `one heddle-ls process (found ${pids})`);
    const killed = [];
    // Each kill waits for the client to be running again (the log says so), not only for the
    // new process and its statuses: those come while languageclient is still starting it.
    const runningCount = () => (readIfExists(heddleLogFile(w2.exthost)).match(/\[info\] heddle-ls \S+ running$/gm) || []).length;
    let running = await until(page, 'the client running', T_CHANGE, runningCount);
    for (let i = 0; i < 4; i++) {
        process.kill(pids[0], 'SIGKILL');
        killed.push(pids[0]);
        if (i < 3) {
            pids = [await waitNewServer(page, killed, T_CHANGE)];
            running = await until(page, `the client running after restart ${i + 1}`, T_CHANGE, () => runningCount() > running && runningCount());
            await waitStatus(page, 'heddle 1/2 ready', T_CHANGE);
        }
    }
    await waitStatus(page, 'heddle-ls failed', T_CHANGE);
    const failedBg = await background(page);
    assert(failedBg === (await themeColor(page, 'statusBarItem.errorBackground')), `failed state has the error background (${failedBg})`);
    assert(serverPids().length === 0, 'no heddle-ls restarted after the cap');
    const capToast = toast(page, 'not restarting');
    await capToast.waitFor({ timeout: T_UI });
    const buttons = await capToast.locator('.monaco-button').allInnerTexts();
    assert(buttons.includes('Restart Server') && !buttons.includes('Configure Path'), `a crash loop offers Restart Server: ${buttons}`);
    await shot(page, 'server-failed.png', [capToast]);
    // a command while the server is down says so, with the way out
    await runCommand(page, 'Heddle: Show Signal Health');
    const downToast = toast(page, 'heddle: heddle-ls is not running: heddle-ls exited 4 times');
    await downToast.waitFor({ timeout: T_UI });
    const downButtons = await downToast.locator('.monaco-button').allInnerTexts();
    assert(downButtons.includes('Restart Server') && downButtons.includes('Show Logs'), `the error offers Restart Server and Show Logs: ${downButtons}`);
    await shot(page, 'statusbar-failed.png', [heddleItem(page)]);
    const restartAt = Date.now();
    await capToast.locator('.monaco-button', { hasText: 'Restart Server' }).click();
    const fresh = await waitNewServer(page, killed, T_CHANGE);
    const recoveredAt = await waitStatus(page, 'heddle 1/2 ready', T_CHANGE, restartAt);
    result.timings.restartToStatusMs = recoveredAt - restartAt;
    result.steps.restart = { killed, fresh };
    // Stop Server / Start Server
    await runCommand(page, 'Heddle: Stop Server');
    await waitStatus(page, 'heddle-ls stopped', T_CHANGE);
    await until(page, 'no heddle-ls after Stop Server', T_CHANGE, () => serverPids().length === 0);
    await runCommand(page, 'Heddle: Start Server');
    await waitNewServer(page, [fresh], T_CHANGE);
    await waitStatus(page, 'heddle 1/2 ready', T_CHANGE);
    log(`Restart Server → "heddle 1/2 ready" in ${result.timings.restartToStatusMs} ms (heddle-ls pid ${fresh})`);

    // 10. a wrong heddle.server.path, changed while the window runs (Machine settings
    // override the User's) → failed, naming the setting, no crash; removing it recovers, and
    // the User settings' path is still the one used, also by Restart Server
    const bogus = path.join(RUN, 'no-such-dir', 'heddle-ls');
    writeSettings('Machine', { 'heddle.server.path': bogus });
    await waitStatus(page, 'heddle-ls failed', T_CHANGE);
    await toast(page, `heddle-ls not found or not executable at ${bogus} (from the setting heddle.server.path)`).waitFor({ timeout: T_UI });
    assert(serverPids().length === 0, 'no heddle-ls runs with a bogus path');
    writeSettings('Machine', { 'heddle.server.path': undefined });
    const ownPid = await waitNewServer(page, [], T_CHANGE);
    await waitStatus(page, 'heddle 1/2 ready', T_CHANGE);
    await runCommand(page, 'Heddle: Restart Server');
    const ownAgain = await waitNewServer(page, [ownPid], T_CHANGE);
    await waitStatus(page, 'heddle 1/2 ready', T_CHANGE);
    assert(serverPids(BUNDLED).length === 0, 'no bundled server while heddle.server.path is set');

    // 10b. no heddle.server.path: the binary bundled in the .vsix (a User settings change on
    // disk reaches code-server's window at its next load)
    writeSettings('User', { 'heddle.server.path': undefined });
    await page.reload();
    await installStatusRecorder(page);
    const bundledPid = await waitNewServer(page, [], T_FIRST_STATUS, BUNDLED);
    await waitStatus(page, 'heddle 1/2 ready', T_FIRST_STATUS);
    // the previous window's server exits with its extension host; no new one of it starts
    await until(page, 'no configured server beside the bundled one', T_CHANGE, () => serverPids().length === 0);
    result.steps.serverPathSetting = { bogus: 'failed, naming the setting', own: [ownPid, ownAgain], bundled: bundledPid };
    await checkSeedUsed(page, wsFile);
    result.statusHistory = (await statusLog(page)).map((e) => e.text);
}

(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const profile = fs.mkdtempSync(path.join(RUN, 'chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-dev-shm-usage',
        ],
        viewport: { width: 1400, height: 860 },
        deviceScaleFactor: 2,
    });
    const page = browser.pages()[0] || (await browser.newPage());
    page.setDefaultTimeout(T_UI);
    let ok = false;
    try {
        await main(page);
        ok = true;
    } catch (e) {
        result.error = String(e && e.stack ? e.stack : e).slice(0, 4000);
        try {
            result.statusHistory = (await statusLog(page)).map((x) => x.text);
        } catch {}
        try {
            const fail = path.join(RUN, 'failure.png');
            await page.screenshot({ path: fail });
            result.failureScreenshot = fail;
        } catch {}
    } finally {
        for (const [, child] of sims) {
            try {
                process.kill(-child.pid, 'SIGINT');
            } catch {}
        }
        await browser.close().catch(() => {});
        result.ok = ok;
        result.totalMs = Date.now() - t0;
        console.log(JSON.stringify(result, null, 2));
        process.exit(ok ? 0 : 1);
    }
})();
