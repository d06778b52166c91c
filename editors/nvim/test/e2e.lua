-- Headless end-to-end test: the plugin, the real heddle-ls and real
-- heddle-sim daemons in two temporary repositories (and heddle-sim's mount
-- daemon, its oplog appends, and a third repository served by heddle-sim's
-- heddle CLI alone).
-- Env: HEDDLE_LS, HEDDLE_SIM (binaries), REPO_A, REPO_B (empty dirs with
-- short paths: the daemon's Unix socket path must stay under 108 bytes).
local t = require('test_helpers')
local uv = vim.uv or vim.loop

local LS = assert(os.getenv('HEDDLE_LS'))
local A, B = assert(os.getenv('REPO_A')), assert(os.getenv('REPO_B'))
local TIMEOUT = t.TIMEOUT

local start_sim, stop_sim = t.start_sim, t.stop_sim
local buf_lines, find_buf, server_pids = t.buf_lines, t.find_buf, t.server_pids

local function ms_since(t0)
  return (uv.hrtime() - t0) / 1e6
end

-- :HeddleOps N for root; waits for its window to show N operations and
-- returns the buffer and the window.
local function open_ops(root, n)
  vim.cmd('HeddleOps ' .. n)
  local buf
  t.wait(TIMEOUT, function()
    buf = find_buf('heddle://ops' .. root)
    return buf and #buf_lines(buf) == n and vim.fn.bufwinid(buf) ~= -1
  end, function()
    return 'ops window for ' .. root .. ': ' .. vim.inspect(buf and buf_lines(buf))
  end)
  return buf, vim.fn.bufwinid(buf)
end

-- Records User HeddleOperations events; returns the list and the autocmd id.
local function operation_events()
  local events = {}
  local au = vim.api.nvim_create_autocmd('User', { pattern = 'HeddleOperations', callback = function(args)
    table.insert(events, args.data or { root = vim.g.heddle_operations_root })
  end })
  return events, au
end

local latencies = {}
local pid_a

t.run(function()
  local notes = t.capture_notify()
  -- Every LspAttach, to prove the plugin's clients attach to no buffer.
  local lsp_attached = {}
  if t.has_08 then
    vim.api.nvim_create_autocmd('LspAttach', { callback = function(args) table.insert(lsp_attached, args) end })
  end
  local status_events = {}
  vim.api.nvim_create_autocmd('User', { pattern = 'HeddleStatus', callback = function(args)
    table.insert(status_events, args.data or { root = vim.g.heddle_status_root })
  end })
  start_sim(A)
  -- heddlePath 'off': no heddle CLI, whatever this machine has on PATH.
  require('heddle').setup({ cmd = { LS }, settings = { heddlePath = 'off' } })
  vim.o.laststatus = 2
  vim.o.statusline = '%f %{v:lua.require("heddle").statusline()}'
  vim.cmd('edit ' .. A .. '/notes.txt')

  t.case('statusline shows heddle:ready for a buffer in a repo with a live daemon', function()
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:ready', 1, true)
    end, function()
      return 'statusline: ' .. t.statusline()
    end)
    t.eq(A, vim.b.heddle_root, 'b:heddle_root')
    local st = require('heddle').status()
    t.eq('ready', st.state, 'status().state')
    t.eq(A, st.root, 'status().root')
    t.eq('%#HeddleStatusOk#heddle:ready%*', require('heddle').statusline_hl(), "coloured by the server's health")
  end)

  t.case("a mount daemon shows in the statusline and :checkhealth while it runs (files only)", function()
    local job = vim.fn.jobstart({ assert(os.getenv('HEDDLE_SIM')), 'mountd', '--repo', A, '--mounts', '2' })
    assert(job > 0, 'heddle-sim mountd did not start')
    local ok, err = pcall(function()
      t.wait_statusline('heddle:ready mount:running')
      -- It writes its endpoint, then mounts.json.
      t.wait(TIMEOUT, function()
        return require('heddle').status(A).mount.mounts == 2
      end, function()
        return 'mount: ' .. vim.inspect(require('heddle').status(A).mount)
      end)
      local m = require('heddle').status(A).mount
      local text = t.checkhealth()
      t.contains(text, '- ' .. m.message, 'checkhealth names the mount daemon')
    end)
    uv.kill(vim.fn.jobpid(job), 'sigint') -- a clean exit removes its files
    assert(ok, err)
    t.wait(TIMEOUT, function()
      return t.statusline():match('heddle:ready$')
    end, function()
      return 'statusline: ' .. t.statusline()
    end)
  end)

  t.case('the client attaches to no buffer: no LspAttach, no client on the buffer; b:heddle_root is set', function()
    local c = assert(require('heddle.client').get(A), 'no client for A')
    t.eq(false, vim.lsp.buf_is_attached(0, c.id), 'buffer attached')
    t.eq(0, #lsp_attached, 'LspAttach events: ' .. vim.inspect(lsp_attached))
    t.eq(A, vim.b.heddle_root, 'b:heddle_root')
    t.eq(1, #server_pids(), 'one heddle-ls process')
  end)

  t.case('the server runs at --log-level warn', function()
    local c = require('heddle.client').get(A)
    t.eq({ LS, '--log-level', 'warn' }, c.config.cmd, 'cmd')
  end)

  t.case('User HeddleStatus fired for A on its way to ready (with data on 0.8+)', function()
    local last
    for _, e in ipairs(status_events) do
      if e.root == A then
        last = e
      end
    end
    assert(last, 'no User HeddleStatus for A: ' .. vim.inspect(status_events))
    if t.has_08 then
      t.eq('ready', last.status.state, 'data.status.state')
      t.eq('ready', last.state, 'data.state')
    end
  end)

  t.case('experimental/serverStatus arrives (the client declared the capability)', function()
    t.wait(TIMEOUT, function()
      return require('heddle').server_status() ~= nil
    end, 'no experimental/serverStatus')
    t.eq('ok', require('heddle').server_status().health, 'health')
  end)

  t.case('client declares experimental.serverStatusNotification and one workspace folder', function()
    local c = require('heddle.client').get(A)
    assert(c, 'no client for A')
    t.eq(true, c.config.capabilities.experimental.serverStatusNotification, 'capability')
    t.eq(vim.uri_from_fname(A), c.workspace_folders[1].uri, 'workspace folder')
    t.eq('errors', c.config.init_options.heddle.notifications, 'init_options.heddle.notifications')
  end)

  t.case('SIGINT to the daemon turns the statusline to heddle:stopped', function()
    local t0 = uv.hrtime()
    stop_sim(A)
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:stopped', 1, true)
    end, function()
      return 'statusline: ' .. t.statusline()
    end)
    latencies.stop = ms_since(t0)
    -- No heddle CLI answers queries: the server's verdict is a warning.
    t.eq('%#HeddleStatusWarn#heddle:stopped%*', require('heddle').statusline_hl(), "coloured by the server's health")
    t.log(('     latency ready->stopped: %.1f ms'):format(latencies.stop))
  end)

  t.case("losing a ready daemon shows the server's message (notifications='errors')", function()
    local note
    t.wait(TIMEOUT, function()
      for _, n in ipairs(notes) do
        if n.msg:find('[was ready]', 1, true) then
          note = n
          return true
        end
      end
    end, function()
      return 'no showMessage; notes: ' .. vim.inspect(notes)
    end)
    assert(note.level >= vim.log.levels.WARN, 'level ' .. tostring(note.level))
    assert(note.msg:match('^heddle %('), 'unprefixed server message: ' .. note.msg)
  end)

  t.case('restarting the daemon turns the statusline back to heddle:ready', function()
    local t0 = uv.hrtime()
    start_sim(A)
    local t_sock = uv.hrtime()
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:ready', 1, true)
    end, function()
      return 'statusline: ' .. t.statusline()
    end)
    latencies.start = ms_since(t0)
    latencies.start_sock = ms_since(t_sock)
    t.log(('     latency stopped->ready: %.1f ms from spawning heddle-sim, %.1f ms after its socket appeared')
      :format(latencies.start, latencies.start_sock))
  end)

  t.case(':HeddleOps 5 lists the newest 5 operations, newest first', function()
    local out = vim.fn.system({ LS, 'ops', '--json', '--limit', '1', A })
    assert(vim.v.shell_error == 0, 'heddle-ls ops failed: ' .. out)
    local decoded = vim.json.decode(out)
    local hits = decoded.hits or decoded
    local newest = assert(hits[1], 'no ops from the CLI: ' .. out).seq
    vim.cmd('HeddleOps 5')
    local buf
    t.wait(TIMEOUT, function()
      buf = find_buf('heddle://ops')
      return buf and #buf_lines(buf) == 5
    end, function()
      return 'ops buffer: ' .. vim.inspect(buf and buf_lines(buf)) .. ' notes: ' .. vim.inspect(notes)
    end)
    local lines = buf_lines(buf)
    t.eq('#' .. newest, lines[1]:match('^(#%d+)'), 'first line is the newest op')
    local prev = math.huge
    for _, l in ipairs(lines) do
      local seq = tonumber(l:match('^#(%d+)'))
      assert(seq and seq < prev, 'not newest first: ' .. vim.inspect(lines))
      prev = seq
    end
    t.eq(buf, vim.api.nvim_get_current_buf(), 'ops buffer is shown')
    t.eq('nofile', vim.bo[buf].buftype, 'scratch')
    t.eq(false, vim.bo[buf].buflisted, 'report buffers are unlisted')
    vim.cmd('close')
  end)

  t.case(':HeddleOps without arguments lists up to the default 50', function()
    vim.cmd('HeddleOps')
    local buf
    t.wait(TIMEOUT, function()
      buf = find_buf('heddle://ops')
      return buf and #buf_lines(buf) == 50
    end, function()
      return 'ops buffer: ' .. vim.inspect(buf and #buf_lines(buf)) .. ' notes: ' .. vim.inspect(notes)
    end)
    vim.cmd('close')
  end)

  t.case(':HeddleOps filters reach the server (actor=)', function()
    local c = require('heddle.client').get(A)
    local resp = c.request_sync('workspace/executeCommand',
      { command = 'heddle.operations', arguments = { vim.uri_from_fname(A), { limit = 1 } } }, 3000, 0)
    local actor = resp.result.hits[1].actorEmail
    vim.cmd('HeddleOps 3 actor=' .. actor)
    local buf
    t.wait(TIMEOUT, function()
      buf = find_buf('heddle://ops')
      local hits = buf and vim.b[buf].heddle_ops
      return hits and #hits > 0 and hits[1].actorEmail == actor and #hits <= 3
    end, 'filtered ops never arrived')
    for _, h in ipairs(vim.b[buf].heddle_ops) do
      t.eq(actor, h.actorEmail, 'actor filter')
    end
    vim.cmd('close')
  end)

  t.case('heddle/operationsChanged reloads an ops buffer on screen in place, a hidden one when shown again', function()
    local ca = require('heddle.client').get(A)
    local changed = require('heddle.client').handlers['heddle/operationsChanged']
    local events, au = operation_events()
    local buf, win = open_ops(A, 5)
    vim.api.nvim_win_set_cursor(win, { 3, 0 })
    local seq3 = vim.b[buf].heddle_ops[3].seq
    local gen = vim.b[buf].heddle_ops_generation
    vim.cmd('wincmd p') -- on screen, not focused
    changed(nil, { folder = vim.uri_from_fname(A), headId = 1 }, { client_id = ca.id })
    t.wait(TIMEOUT, function()
      return vim.b[buf].heddle_ops_generation == gen + 1
    end, 'the visible ops buffer did not reload')
    t.eq(seq3, vim.b[buf].heddle_ops[vim.api.nvim_win_get_cursor(win)[1]].seq, 'cursor on the same operation')
    t.eq(A, events[1] and events[1].root, 'User HeddleOperations root')
    vim.api.nvim_win_close(win, false)
    changed(nil, { folder = vim.uri_from_fname(A) }, { client_id = ca.id })
    t.eq(true, vim.b[buf].heddle_ops_stale, 'hidden: marked stale')
    vim.cmd('sbuffer ' .. buf)
    t.wait(TIMEOUT, function()
      return vim.b[buf].heddle_ops_generation == gen + 2
    end, 'the ops buffer did not reload when shown again')
    t.eq(false, vim.b[buf].heddle_ops_stale, 'no longer stale')
    vim.api.nvim_del_autocmd(au)
    vim.cmd('close')
  end)

  t.case('an appended operation reaches an ops window on screen by itself (heddle/operationsChanged), cursor kept', function()
    local events, au = operation_events()
    local buf, win = open_ops(A, 5)
    vim.api.nvim_win_set_cursor(win, { 2, 0 })
    local top, seq2 = vim.b[buf].heddle_ops[1].seq, vim.b[buf].heddle_ops[2].seq
    vim.cmd('wincmd p')
    local t0 = uv.hrtime()
    local out = vim.fn.system({ assert(os.getenv('HEDDLE_SIM')), 'append', '--repo', A, '--count', '1' })
    assert(vim.v.shell_error == 0, 'heddle-sim append: ' .. out)
    t.wait(TIMEOUT, function()
      local hits = vim.b[buf].heddle_ops
      return hits and hits[1] and hits[1].seq > top
    end, function()
      return 'the ops buffer did not follow the append: ' .. vim.inspect(buf_lines(buf)) .. ' events: ' .. vim.inspect(events)
    end)
    latencies.ops = ms_since(t0)
    t.log(('     latency append -> ops window reloaded: %.1f ms'):format(latencies.ops))
    t.eq(top, vim.b[buf].heddle_ops[2].seq, 'the old newest is second now')
    t.eq(seq2, vim.b[buf].heddle_ops[vim.api.nvim_win_get_cursor(win)[1]].seq, 'cursor on the same operation')
    t.eq(A, events[1] and events[1].root, 'User HeddleOperations for A')
    if t.has_08 and events[1].headId ~= nil then
      t.eq(tonumber(vim.trim(out)), events[1].headId, 'headId: the head heddle-sim published')
    end
    vim.api.nvim_del_autocmd(au)
    vim.api.nvim_win_close(win, false)
  end)

  t.case(':HeddleStatus shows the daemon state through vim.notify', function()
    local n0 = #notes
    vim.cmd('HeddleStatus')
    t.wait(TIMEOUT, function()
      return #notes > n0
    end, 'no notification')
    t.contains(notes[#notes].msg, A .. ': ready', ':HeddleStatus')
  end)

  t.case(':HeddleRefresh re-probes and shows the fresh status', function()
    local n0 = #notes
    local since = require('heddle').status(A).since
    vim.cmd('HeddleRefresh')
    t.wait(TIMEOUT, function()
      return #notes > n0
    end, 'no notification')
    t.contains(notes[#notes].msg, A .. ': ready', ':HeddleRefresh')
    t.eq('ready', require('heddle').status(A).state, 'store after refresh')
    assert(since ~= nil, 'status has a since')
  end)

  t.case(':HeddleExplain opens a floating window with the probe steps', function()
    vim.cmd('HeddleExplain')
    local win
    t.wait(TIMEOUT, function()
      for _, w in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_config(w).relative ~= '' then
          win = w
          return true
        end
      end
    end, 'no floating window')
    local text = table.concat(buf_lines(vim.api.nvim_win_get_buf(win)), '\n')
    assert(#text > 20, 'explain too short: ' .. text)
    t.contains(text:lower(), 'pidfile', 'explain')
    vim.api.nvim_win_close(win, true)
  end)

  t.case(':HeddleSignals and :HeddleHooks fill their buffers', function()
    vim.cmd('HeddleSignals 20')
    local sb
    t.wait(TIMEOUT, function()
      sb = find_buf('heddle://signals')
      return sb ~= nil
    end, function()
      return 'no signals buffer; notes: ' .. vim.inspect(notes)
    end)
    t.contains(buf_lines(sb)[1], 'last 20 states', 'window reached the server')
    t.contains(table.concat(buf_lines(sb), '\n'), 'fire rate', 'signals')
    vim.cmd('close')
    vim.cmd('HeddleHooks')
    local hb
    t.wait(TIMEOUT, function()
      hb = find_buf('heddle://hooks')
      return hb ~= nil
    end, function()
      return 'no hooks buffer; notes: ' .. vim.inspect(notes)
    end)
    assert(#buf_lines(hb) >= 1 and buf_lines(hb)[1] ~= '', 'hooks buffer empty')
    vim.cmd('close')
  end)

  t.case('a command in a repository whose server is still starting waits for its first status, without blocking', function()
    start_sim(B)
    t.eq(1, #server_pids(), 'only A has a server yet')
    pid_a = server_pids()[1]
    vim.cmd('edit ' .. B .. '/other.txt')
    t.eq('heddle:connecting', t.statusline():match('heddle:%S+'), 'B is connecting')
    vim.cmd('HeddleOps 2')
    -- The command has returned; the server has not even initialised.
    t.eq(nil, find_buf('heddle://ops' .. B), 'an ops buffer before the server answered')
    local buf
    t.wait(TIMEOUT, function()
      buf = find_buf('heddle://ops' .. B)
      return buf and #buf_lines(buf) == 2
    end, function()
      return 'ops buffer for B: ' .. vim.inspect(buf and buf_lines(buf)) .. ' notes: ' .. vim.inspect(notes)
    end)
    vim.cmd('close')
  end)

  t.case('a file in a second repo gets its own client and status', function()
    vim.cmd('edit ' .. B .. '/other.txt')
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:ready', 1, true)
    end, function()
      return 'statusline B: ' .. t.statusline()
    end)
    local ca, cb = require('heddle.client').get(A), require('heddle.client').get(B)
    assert(ca and cb and ca.id ~= cb.id, 'want two clients')
    t.eq(2, #require('heddle.client').all(), 'clients')
    t.eq(B, require('heddle').status(B).root, 'B status root')
    -- A buffer in A's repo reuses A's client (and, as every buffer, is
    -- not attached to it: item 3 of issue 13).
    vim.cmd('edit ' .. A .. '/third.txt')
    t.eq(A, vim.b.heddle_root, 'A buffer knows its root')
    t.eq(ca.id, require('heddle.client').for_buf(0).id, 'A buffer uses the A client')
    t.eq(false, vim.lsp.buf_is_attached(0, ca.id), 'and is not attached to it')
    t.eq(2, #require('heddle.client').all(), 'still two clients')
    t.eq(2, #server_pids(), 'two heddle-ls processes')
  end)

  t.case('a crashed heddle-ls shows heddle:off; :HeddleRefresh starts a new one for that repo', function()
    local ca = require('heddle.client').get(A)
    local cb = require('heddle.client').get(B)
    uv.kill(assert(pid_a, 'no pid recorded for A'), 'sigkill')
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:off', 1, true)
    end, function()
      return 'statusline A: ' .. t.statusline()
    end)
    local n0 = #notes
    vim.cmd('HeddleRefresh')
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:ready', 1, true)
    end, function()
      return 'statusline A after refresh: ' .. t.statusline()
    end)
    t.wait(TIMEOUT, function()
      return #notes > n0
    end, 'no answer to :HeddleRefresh')
    t.contains(notes[#notes].msg, A .. ': ready', ':HeddleRefresh answer')
    local ca2 = require('heddle.client').get(A)
    assert(ca2 and ca2.id ~= ca.id, 'want a new client for A')
    t.eq(cb.id, require('heddle.client').get(B).id, 'B keeps its client')
  end)

  t.case('stopping A leaves B ready; each buffer shows its own repo', function()
    local t0 = uv.hrtime()
    stop_sim(A)
    t.wait(TIMEOUT, function()
      return t.statusline():find('heddle:stopped', 1, true)
    end, function()
      return 'statusline A: ' .. t.statusline()
    end)
    latencies.stop2 = ms_since(t0)
    vim.cmd('edit ' .. B .. '/other.txt')
    t.contains(t.statusline(), 'heddle:ready', 'B statusline')
  end)

  t.case('a query against a stopped daemon shows the server error', function()
    vim.cmd('edit ' .. A .. '/notes.txt')
    local n0 = #notes
    vim.cmd('HeddleOps 5')
    -- The server's own message about the stop (a warning) may arrive in
    -- between: look for the query's error among the new notes.
    local err
    t.wait(TIMEOUT, function()
      for i = n0 + 1, #notes do
        if notes[i].msg:find('heddle.operations', 1, true) then
          err = notes[i]
          return true
        end
      end
      return false
    end, 'no error naming heddle.operations shown')
    t.eq(vim.log.levels.ERROR, err.level, 'error level')
  end)

  t.case(':checkhealth heddle: OK for the ready root, WARNING with the hint for the stopped one', function()
    local hint = require('heddle').status(A).hint
    assert(hint and hint ~= '', 'stopped status has no hint')
    local text = t.checkhealth()
    t.contains(text, 'OK: ' .. B .. ': ready', 'checkhealth')
    t.contains(text, 'WARNING: ' .. A .. ': stopped', 'checkhealth')
    t.contains(text, hint, 'checkhealth advice')
    t.contains(text, 'OK: heddle-ls', 'server version line')
    -- Second edition: where queries go, per repository (no heddle CLI: heddlePath 'off').
    t.contains(text, '- queries: daemon; heddle CLI: none found', 'queries of the ready root')
    t.contains(text, '- queries: none; heddle CLI: none found', 'queries of the stopped root')
  end)

  t.case(':HeddleRestart gives the repository a new server, the old one ends', function()
    vim.cmd('edit ' .. B .. '/other.txt')
    local old = require('heddle.client').get(B)
    local pids = server_pids()
    vim.cmd('HeddleRestart')
    local new
    t.wait(TIMEOUT, function()
      new = require('heddle.client').get(B)
      return new and new.id ~= old.id and t.statusline():find('heddle:ready', 1, true)
    end, function()
      return 'statusline B after restart: ' .. t.statusline()
    end)
    t.wait(TIMEOUT, function()
      return #server_pids() == #pids and not vim.deep_equal(server_pids(), pids)
    end, function()
      return 'heddle-ls processes before ' .. vim.inspect(pids) .. ', now ' .. vim.inspect(server_pids())
    end)
  end)

  local log_path = vim.lsp.get_log_path()
  t.case('lsp.log holds none of the server\'s info lines (--log-level warn)', function()
    -- 0.11 creates lsp.log only for its first line: no file, nothing logged.
    if vim.fn.filereadable(log_path) == 1 then
      local log = table.concat(vim.fn.readfile(log_path), '\n')
      assert(not log:find('level=INFO', 1, true), 'info lines in lsp.log: ' .. log:sub(1, 2000))
    end
  end)

  t.case(":HeddleLog opens the server's log (Neovim's lsp.log by default), or says there is none yet", function()
    local n0, buf0 = #notes, vim.api.nvim_get_current_buf()
    vim.cmd('HeddleLog')
    if vim.fn.filereadable(log_path) == 1 then
      t.eq(vim.fn.resolve(log_path), vim.fn.resolve(vim.api.nvim_buf_get_name(0)), 'log buffer')
      vim.cmd('close')
    else
      t.eq(buf0, vim.api.nvim_get_current_buf(), 'no window opened')
      t.contains(notes[n0 + 1] and notes[n0 + 1].msg, 'no log yet at ' .. log_path, 'message')
    end
  end)

  t.case("every notification of the plugin has the title 'heddle'", function()
    assert(#notes > 0, 'no notifications')
    for _, n in ipairs(notes) do
      -- Neovim's own: "Client 1 quit with exit code 0 and signal 9" (the crash case).
      if not n.msg:match('^Client .* quit with exit code') then
        t.eq('heddle', n.opts and n.opts.title, 'title of ' .. vim.inspect(n.msg))
      end
    end
  end)

  t.case('heddle 0.13.0 without an agent daemon (heddle-sim as heddlePath): ok, queries through the CLI, live ops', function()
    local C = vim.fn.fnamemodify(B, ':h') .. '/cli'
    local bin = vim.fn.fnamemodify(B, ':h') .. '/bin'
    vim.fn.mkdir(bin, 'p')
    assert(uv.fs_symlink(assert(os.getenv('HEDDLE_SIM')), bin .. '/heddle'))
    local out = vim.fn.system({ os.getenv('HEDDLE_SIM'), 'record', '--repo', C })
    assert(vim.v.shell_error == 0, 'heddle-sim record: ' .. out)
    require('heddle').setup({ cmd = { LS }, settings = { heddlePath = bin .. '/heddle' } })
    vim.cmd('edit ' .. C .. '/notes.txt')
    t.wait_statusline('heddle:stopped')
    local st = require('heddle').status(C)
    t.eq('no-agent-daemon', st.reason, 'reason')
    t.eq('cli', st.queries, 'queries')
    t.eq('%#HeddleStatusOk#heddle:stopped%*', require('heddle').statusline_hl(), 'a stopped agent daemon is fine here')
    local text = t.checkhealth()
    t.contains(text, 'OK: ' .. C .. ': stopped', 'checkhealth')
    t.contains(text, ('- queries: cli; heddle %s (%s)'):format(st.heddle.version, bin .. '/heddle'), 'checkhealth')
    local buf = open_ops(C, 3)
    local top = vim.b[buf].heddle_ops[1].seq
    vim.cmd('wincmd p')
    out = vim.fn.system({ os.getenv('HEDDLE_SIM'), 'append', '--repo', C, '--count', '1' })
    assert(vim.v.shell_error == 0, 'heddle-sim append: ' .. out)
    t.wait(TIMEOUT, function()
      return vim.b[buf].heddle_ops[1].seq > top
    end, function()
      return 'the ops buffer did not follow the append: ' .. vim.inspect(buf_lines(buf))
    end)
    vim.api.nvim_win_close(vim.fn.bufwinid(buf), false)
  end)

  t.stop_all_sims()
  require('heddle.client').stop()
  t.log(('LATENCY (SIGINT or spawn -> statusline text changed) ready->stopped %.1f ms; stopped->ready %.1f ms'
    .. ' from spawning heddle-sim (%.1f ms after its socket appeared); second ready->stopped %.1f ms;'
    .. ' append -> ops window reloaded %.1f ms')
    :format(latencies.stop or -1, latencies.start or -1, latencies.start_sock or -1, latencies.stop2 or -1, latencies.ops or -1))
end)
