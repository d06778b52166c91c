// End-to-end test of the packaged extension in a real VS Code (code-server) driven through
// Debian's chromium with playwright-core. Started by scripts/e2e.sh, which has already
// installed the .vsix into a fresh profile and started code-server.
//
// Scenario (every step asserts on what the workbench shows, and saves a screenshot):
//   1. one folder with a running heddle-sim → status bar "heddle ✓"; tooltip
//   2. SIGINT the daemon → "heddle stopped" (time from signal to DOM change measured)
//   3. start it again → "heddle ✓" (measured)
//   4. Heddle: Show Recent Operations → the first row is the daemon's newest operation;
//      Explain Status, Show Signal Health, Show Hooks → their markdown previews open
//   5. click the status bar → quick pick with the folder and actions
//   6. two-folder workspace, one daemon stopped → "heddle 1/2", tooltip names both folders
//   7. kill heddle-ls four times → restarts are capped: "heddle ✗" (error state), no loop
//   8. Heddle: Restart Server → a new heddle-ls process, "heddle 1/2" again
//   9. heddle.server.path set to a missing file → "heddle ✗" and an error toast; unset → back
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
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Deadlines: the workbench takes 7–13 s on two busy cores, the first status up to ~20 s.
const T_WORKBENCH = 120_000;
const T_FIRST_STATUS = 90_000;
const T_CHANGE = 30_000;
const T_UI = 20_000;

const t0 = Date.now();
const log = (...a) => console.error(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const result = { steps: {}, timings: {}, screenshots: [] };

// --- heddle-sim processes ------------------------------------------------------------------

const sims = new Map(); // repo dir → child

/** Starts heddle-sim in its own process group; resolves once it says it is ready. */
function startSim(repo) {
    fs.mkdirSync(repo, { recursive: true });
    const child = spawn(SIM, ['--repo', repo], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    fs.appendFileSync(PIDS_FILE, `${child.pid}\n`);
    sims.set(repo, child);
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

/** SIGINT: heddle-sim stops cleanly and removes its pidfile and socket. Resolves on exit. */
function stopSim(repo) {
    const child = sims.get(repo);
    sims.delete(repo);
    return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
    });
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
                if (/^heddle(\s|$)/.test(text)) return text;
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
    return page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: /^\s*heddle(\s|$)/ });
}

/** Waits until the status bar item reads `text` (exactly, after trimming); returns when the DOM changed. */
async function waitStatus(page, text, timeout, sinceMs = 0) {
    const exact = new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*$`);
    await heddleItem(page).filter({ hasText: exact }).first().waitFor({ timeout });
    const entries = await statusLog(page);
    const hit = entries.find((e) => e.at >= sinceMs && e.text !== null && exact.test(e.text));
    return hit ? hit.at : Date.now();
}

/** The left end of the status bar, where the heddle item is: for the README. */
const STATUSBAR_CLIP = { x: 0, y: 860 - 28, width: 360, height: 28 };

async function shot(page, name, opts = {}) {
    const file = path.join(SHOTS, name);
    await page.screenshot({ path: file, ...opts });
    result.screenshots.push(path.relative(REPO, file));
    log('screenshot', name);
}

async function runCommand(page, title) {
    await page.keyboard.press('Escape');
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 200 } }).catch(() => {});
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: T_UI });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: T_UI });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: T_UI }).catch(() => {});
}

async function openWorkbench(page, query) {
    const start = Date.now();
    await page.goto(`${CS_URL}/?${query}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: T_WORKBENCH });
    await installStatusRecorder(page);
    log(`workbench up in ${Date.now() - start} ms`);
    return start;
}

/** heddle-ls processes spawned from the installed extension (the LSP servers), by pid. */
function serverPids() {
    const exe = fs.realpathSync(path.join(EXT_DIR, 'server', 'heddle-ls'));
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

/** Waits, on a deadline, for a heddle-ls pid that is not in `old`. */
async function waitNewServer(page, old, timeout) {
    const deadline = Date.now() + timeout;
    for (;;) {
        const fresh = serverPids().filter((p) => !old.includes(p));
        if (fresh.length) return fresh[0];
        if (Date.now() > deadline) throw new Error(`no new heddle-ls process within ${timeout} ms (old: ${old})`);
        await page.waitForTimeout(100); // a /proc scan has no event to wait on; bounded above
    }
}

function assert(cond, msg) {
    if (!cond) throw new Error(`assertion failed: ${msg}`);
}

// --- the scenario ----------------------------------------------------------------------------

async function main(page) {
    const alpha = path.join(RUN, 'ws', 'alpha');
    const beta = path.join(RUN, 'ws', 'beta');

    // 1. one folder, daemon running → ready
    await startSim(alpha);
    const opened = await openWorkbench(page, `folder=${encodeURIComponent(alpha)}`);
    const readyAt = await waitStatus(page, 'heddle ✓', T_FIRST_STATUS);
    result.timings.firstReadyMs = readyAt - opened;
    log(`status "heddle ✓" ${result.timings.firstReadyMs} ms after page load`);
    const item = heddleItem(page);
    const bg = await item.evaluate((el) => getComputedStyle(el).backgroundColor);
    result.steps.ready = { text: (await item.textContent()).trim(), background: bg };
    await shot(page, 'status-ready.png');
    await shot(page, 'statusbar-ready.png', { clip: STATUSBAR_CLIP });
    await item.hover();
    const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: '1 of 1 daemon ready' });
    await hover.first().waitFor({ timeout: T_UI });
    assert((await hover.first().innerText()).includes('alpha'), 'tooltip names the folder');
    await shot(page, 'tooltip-ready.png');
    await page.mouse.move(700, 300);

    // 2. SIGINT the daemon → stopped
    const stopSignal = Date.now();
    await stopSim(alpha);
    const stoppedAt = await waitStatus(page, 'heddle stopped', T_CHANGE, stopSignal);
    result.timings.stopToStatusBarMs = stoppedAt - stopSignal;
    log(`daemon SIGINT → status bar "heddle stopped": ${result.timings.stopToStatusBarMs} ms`);
    const stoppedBg = await heddleItem(page).evaluate((el) => getComputedStyle(el).backgroundColor);
    assert(stoppedBg !== bg, `stopped background (${stoppedBg}) differs from ready (${bg})`);
    result.steps.stopped = { background: stoppedBg };
    await shot(page, 'status-stopped.png');
    await shot(page, 'statusbar-stopped.png', { clip: STATUSBAR_CLIP });

    // 3. start it again → ready
    const startSignal = Date.now();
    await startSim(alpha);
    const againAt = await waitStatus(page, 'heddle ✓', T_CHANGE, startSignal);
    result.timings.startToStatusBarMs = againAt - startSignal;
    log(`daemon start → status bar "heddle ✓": ${result.timings.startToStatusBarMs} ms`);

    // 4. Show Recent Operations → newest operation first
    const expected = JSON.parse(execFileSync(HEDDLE_LS, ['ops', '--json', '--limit', '1', alpha], { encoding: 'utf8' })).hits[0];
    assert(expected && expected.verb, 'heddle-ls ops returned an operation');
    await runCommand(page, 'Heddle: Show Recent Operations');
    // Room for the screenshot: collapse the file tree section, widen the side bar.
    await page.locator('.pane-header', { hasText: 'alpha' }).first().click().catch(() => {});
    let box = null;
    for (const sash of await page.locator('.monaco-sash.vertical').all()) {
        const b = await sash.boundingBox().catch(() => null);
        if (b && b.x > 300 && b.x < 400 && b.height > 400) box = b; // side bar | editor
    }
    if (box) {
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(760, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
    }
    const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Heddle Operations' }) });
    const firstRow = pane.locator('.monaco-list-row').first();
    await firstRow.filter({ hasText: expected.verb }).waitFor({ timeout: T_CHANGE });
    const rowText = (await firstRow.innerText()).replace(/\s+/g, ' ').trim();
    assert(rowText.startsWith(expected.verb), `first row "${rowText}" starts with the newest verb ${expected.verb}`);
    assert(rowText.includes(expected.actorEmail), `first row "${rowText}" names actor ${expected.actorEmail}`);
    assert(rowText.includes(expected.thread), `first row "${rowText}" names thread ${expected.thread}`);
    const rows = await pane.locator('.monaco-list-row').count();
    result.steps.operations = { firstRow: rowText, expected: { seq: expected.seq, verb: expected.verb, actor: expected.actorEmail }, visibleRows: rows };
    await firstRow.hover();
    await page.locator('.workbench-hover, .monaco-hover').filter({ hasText: expected.operationId }).first().waitFor({ timeout: T_UI });
    await shot(page, 'operations-view.png');
    await page.mouse.move(1000, 300);

    // 4b. Explain Status, Show Signal Health, Show Hooks → markdown previews of the answers
    for (const [title, tab] of [
        ['Heddle: Explain Status', 'explain-alpha'],
        ['Heddle: Show Signal Health', 'signal-health-alpha'],
        ['Heddle: Show Hooks', 'hooks-alpha'],
    ]) {
        await runCommand(page, title);
        await page.locator('.tabs-container .tab', { hasText: tab }).first().waitFor({ timeout: T_CHANGE });
        if (tab === 'explain-alpha') {
            // the preview is a webview (an iframe within an iframe): wait for the rendered text
            const body = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').locator('body');
            await body.filter({ hasText: 'pidfile' }).waitFor({ timeout: T_CHANGE });
            await shot(page, 'explain.png');
        }
    }
    result.steps.reports = 'explain, signal health and hooks previews opened';

    // 5. click the status bar item → quick pick of folders and actions
    await page.keyboard.press('Escape');
    await heddleItem(page).click();
    const qp = page.locator('.quick-input-widget');
    await qp.locator('.monaco-list-row', { hasText: 'alpha' }).first().waitFor({ timeout: T_UI });
    await qp.locator('.monaco-list-row', { hasText: 'Restart Server' }).first().waitFor({ timeout: T_UI });
    await shot(page, 'quick-pick.png');
    await page.keyboard.press('Escape');

    // 6. two folders: alpha ready, beta a heddle repo whose daemon is stopped (SIGINT)
    await startSim(beta);
    await stopSim(beta);
    const wsFile = path.join(RUN, 'two.code-workspace');
    fs.writeFileSync(wsFile, JSON.stringify({ folders: [{ path: 'ws/alpha' }, { path: 'ws/beta' }], settings: {} }, null, 2));
    await openWorkbench(page, `workspace=${encodeURIComponent(wsFile)}`);
    await waitStatus(page, 'heddle 1/2', T_FIRST_STATUS);
    const shown = (await statusLog(page)).map((e) => e.text);
    assert(!shown.includes('heddle stopped'), `no partial aggregate while folders report: ${JSON.stringify(shown)}`);
    const twoBg = await heddleItem(page).evaluate((el) => getComputedStyle(el).backgroundColor);
    assert(twoBg === stoppedBg, `1/2 uses the warning background (${twoBg} vs ${stoppedBg})`);
    await heddleItem(page).hover();
    const hover2 = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: '1 of 2 daemons ready' }).first();
    await hover2.waitFor({ timeout: T_UI });
    const tip = await hover2.innerText();
    assert(/beta\s*—\s*stopped/.test(tip), `tooltip shows beta stopped:\n${tip}`);
    assert(/alpha\s*—\s*ready/.test(tip), `tooltip shows alpha ready:\n${tip}`);
    result.steps.twoFolders = { tooltip: tip.split('\n').filter(Boolean) };
    await shot(page, 'tooltip-two-folders.png');
    await page.mouse.move(700, 300);

    // 7. a crashing server: killed four times → restarts are capped, error state, no loop
    let pids = serverPids();
    assert(pids.length === 1, `one heddle-ls process (found ${pids})`);
    const killed = [];
    for (let i = 0; i < 4; i++) {
        const pid = pids[0];
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
        if (i < 3) {
            const next = await waitNewServer(page, killed, T_CHANGE);
            pids = [next];
            await waitStatus(page, 'heddle 1/2', T_CHANGE);
        }
    }
    await waitStatus(page, 'heddle ✗', T_CHANGE);
    const failedBg = await heddleItem(page).evaluate((el) => getComputedStyle(el).backgroundColor);
    assert(failedBg !== stoppedBg && failedBg !== bg, `failed state has the error background (${failedBg})`);
    assert(serverPids().length === 0, 'no heddle-ls restarted after the cap');
    await page.locator('.notifications-toasts', { hasText: 'not restarting' }).first().waitFor({ timeout: T_UI });
    await shot(page, 'server-failed.png');
    await shot(page, 'statusbar-failed.png', { clip: STATUSBAR_CLIP });

    // 8. Restart Server → a new process, status back
    const restartAt = Date.now();
    await runCommand(page, 'Heddle: Restart Server');
    const fresh = await waitNewServer(page, killed, T_CHANGE);
    const recoveredAt = await waitStatus(page, 'heddle 1/2', T_CHANGE, restartAt);
    result.timings.restartToStatusMs = recoveredAt - restartAt;
    result.steps.restart = { killed, fresh };
    log(`Restart Server → "heddle 1/2" in ${result.timings.restartToStatusMs} ms (heddle-ls pid ${fresh})`);
    await page.keyboard.press('Escape');
    await shot(page, 'restarted.png');
    await shot(page, 'statusbar-two-folders.png', { clip: STATUSBAR_CLIP });

    // 9. a wrong heddle.server.path → error state naming the path, no crash; fixing it recovers
    // In code-server the window is remote: machine-scoped settings live in Machine/settings.json.
    const settingsFile = path.join(RUN, 'user', 'Machine', 'settings.json');
    const settings = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : '{}';
    const bogus = path.join(RUN, 'no-such-dir', 'heddle-ls');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(settings), 'heddle.server.path': bogus }, null, 2));
    await waitStatus(page, 'heddle ✗', T_CHANGE);
    await page.locator('.notifications-toasts', { hasText: 'heddle-ls not found or not executable' }).first().waitFor({ timeout: T_UI });
    assert(serverPids().length === 0, 'no heddle-ls runs with a bogus path');
    fs.writeFileSync(settingsFile, settings);
    await waitStatus(page, 'heddle 1/2', T_CHANGE);
    result.steps.badPath = 'heddle ✗ with a bogus heddle.server.path; recovered when it was removed';
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
