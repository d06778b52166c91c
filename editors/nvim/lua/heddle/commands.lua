-- The user commands: each sends one read-only workspace/executeCommand to
-- the current buffer's heddle-ls client and shows the answer. Server errors
-- (daemon not ready, API lacking the query) are shown with the server's
-- own message. Nothing here waits: a command against a server that is
-- still starting runs when the server's first status for the folder
-- arrives.
local config = require('heddle.config')
local client_mod = require('heddle.client')
local status = require('heddle.status')

local M = {}

local notify = client_mod.notify

local function say(msg, level)
  notify('heddle: ' .. msg, level)
end

-- How long a command waits for a server that is taking its folder in (the
-- first heddle/status comes within milliseconds; this only bounds a
-- server that never answers).
local FIRST_STATUS_MS = 10000

local function fail_loudly(msg)
  say(msg, vim.log.levels.ERROR)
end

-- Calls fn(client, dir, uri) for the root `dir` once its client is ready
-- to answer, starting the client first when `start_buf` allows it;
-- otherwise calls fail(why) (default: tell the user).
local function with_client(dir, start_buf, fn, fail)
  fail = fail or fail_loudly
  local client = dir and client_mod.get(dir)
  if not client and dir and start_buf and config.options.autostart then
    client_mod.attach(start_buf)
    client = client_mod.get(dir)
  end
  if not client then
    if dir then
      fail('heddle-ls is not running for ' .. dir .. ' (see :checkhealth heddle, :HeddleLog)')
    else
      say('this buffer is not inside a heddle repository', vim.log.levels.WARN)
    end
    return
  end
  if status.get(dir) then
    return fn(client, dir, vim.uri_from_fname(dir))
  end
  -- A fresh server refuses requests before `initialize` completes and
  -- answers "not tracked" until it has taken the folder in, which its first
  -- heddle/status for the folder announces.
  local done = false
  local timer = (vim.uv or vim.loop).new_timer()
  local function finish(err)
    if done then
      return
    end
    done = true
    timer:stop()
    timer:close()
    local c = not err and client_mod.get(dir)
    if c then
      fn(c, dir, vim.uri_from_fname(dir))
    else
      fail(err or ('heddle-ls is not running for ' .. dir))
    end
  end
  timer:start(FIRST_STATUS_MS, 0, vim.schedule_wrap(function()
    finish(('heddle-ls has not reported on %s after %d s (see :HeddleLog)'):format(dir, FIRST_STATUS_MS / 1000))
  end))
  status.when_known(dir, finish)
  -- A client that was running before the plugin listened has spoken
  -- already: ask it.
  if client.initialized then
    client_mod.execute(client, 'heddle.status', { vim.uri_from_fname(dir) }, function(err, result)
      if not err and type(result) == 'table' and result[1] then
        status.update(dir, result[1], client.id)
      end
    end)
  end
end

-- The root the current buffer's commands apply to (a heddle scratch
-- buffer knows the root it was opened for).
local function current()
  local bufnr = vim.api.nvim_get_current_buf()
  local client, dir = client_mod.for_buf(bufnr)
  if client and not dir then
    dir = client_mod.client_root(client)
  end
  return dir, bufnr
end

-- Runs `command` for `dir` and calls on_result(result, dir), or fail(why).
local function run_for(dir, start_buf, command, arguments, on_result, fail)
  fail = fail or fail_loudly
  with_client(dir, start_buf, function(client, d, uri)
    local args = { uri }
    if arguments then
      -- vim.json encodes {} as [], and the server wants an options object.
      table.insert(args, next(arguments) == nil and vim.empty_dict() or arguments)
    end
    client_mod.execute(client, command, args, function(err, result)
      if err then
        return fail(command .. ': ' .. tostring(err.message or err))
      end
      on_result(result, d)
    end)
  end, fail)
end

local function run(command, arguments, on_result)
  local dir, bufnr = current()
  run_for(dir, bufnr, command, arguments, on_result)
end

--- One line per status object: root, state, message and hint, and the
--- mount daemon when the repository has one.
function M.format_status(s)
  local line = ('%s: %s'):format(s.root ~= '' and s.root or s.folder or '?', s.state)
  if s.message and s.message ~= '' then
    line = line .. ' - ' .. s.message
  end
  if s.hint and s.hint ~= '' then
    line = line .. ' (' .. s.hint .. ')'
  end
  if status.present(s.mount) and type(s.mount) == 'table' then
    line = line .. '; ' .. M.format_mount(s.mount)
  end
  return line
end

--- The mount daemon in one phrase: the server's message, else its state.
function M.format_mount(m)
  if m.message and m.message ~= '' then
    return m.message
  end
  local text = 'mount daemon ' .. tostring(m.state)
  if tonumber(m.mounts) then
    text = text .. (', %d mounts'):format(m.mounts)
  end
  return text
end

local level_of = { ok = vim.log.levels.INFO, warning = vim.log.levels.WARN, error = vim.log.levels.ERROR }

local function show_statuses(result, dir)
  local lines = {}
  local worst = vim.log.levels.INFO
  for _, s in ipairs(result or {}) do
    status.update(dir, s)
    table.insert(lines, M.format_status(s))
    worst = math.max(worst, level_of[s.health] or vim.log.levels.INFO)
  end
  if #lines == 0 then
    lines = { 'no folders' }
  end
  say(table.concat(lines, '\n'), worst)
end

function M.status()
  run('heddle.status', nil, show_statuses)
end

function M.refresh()
  client_mod.reset()
  run('heddle.refresh', nil, show_statuses)
end

function M.restart()
  local dir, bufnr = current()
  if not dir then
    say('this buffer is not inside a heddle repository', vim.log.levels.WARN)
    return
  end
  client_mod.restart(dir, bufnr)
end

--- The file heddle-ls logs to: `log_file` when set, else Neovim's lsp.log,
--- where a server's stderr goes.
function M.log_path()
  if config.options.log_file ~= '' then
    return config.options.log_file
  end
  return vim.lsp.get_log_path()
end

-- Opens a window for `buf` by the `open` option, or focuses one showing it.
local function show(buf)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
    return
  end
  local how = config.options.open
  if how == 'vsplit' then
    vim.cmd('vsplit')
  elseif how == 'tab' then
    vim.cmd('tabnew')
  elseif how ~= 'current' then
    vim.cmd('split')
  end
  vim.api.nvim_win_set_buf(0, buf)
end

function M.log()
  local path = M.log_path()
  if vim.fn.filereadable(path) ~= 1 then
    say('no log yet at ' .. path, vim.log.levels.WARN)
    return
  end
  local buf = vim.fn.bufadd(path)
  vim.fn.bufload(buf)
  show(buf)
  vim.cmd('normal! G')
end

-- `q` closes the report; in the last window (where :close refuses) it
-- shows the previous buffer instead.
local function quit()
  if not pcall(vim.cmd, 'close') then
    local alt = vim.fn.bufnr('#')
    if alt ~= -1 and alt ~= vim.api.nvim_get_current_buf() and vim.fn.buflisted(alt) == 1 then
      vim.cmd('buffer #')
    else
      vim.cmd('enew')
    end
  end
end

-- '<kind><root>' -> the report buffer named `heddle://<kind><root>`
-- (bufnr() would take the name as a pattern, and match prefixes).
local reports = {}

local function report_buf(kind, dir)
  local name = ('heddle://%s%s'):format(kind, dir)
  local buf = reports[kind .. dir]
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  -- Unlisted: reports are views, not files of the session.
  buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_set_var(buf, 'heddle_root', dir)
  vim.keymap.set('n', 'q', quit, { buffer = buf, nowait = true, silent = true, desc = 'heddle: close' })
  reports[kind .. dir] = buf
  return buf
end

local function set_lines(buf, lines, filetype)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  if vim.bo[buf].filetype ~= filetype then
    vim.bo[buf].filetype = filetype
  end
end

-- A report buffer filled with `lines` and shown by the `open` option; `R`
-- in it calls refresh(buf). Returns the buffer.
local function report(kind, dir, lines, filetype, refresh)
  local buf = report_buf(kind, dir)
  set_lines(buf, lines, filetype)
  vim.keymap.set('n', 'R', function()
    refresh(buf)
  end, { buffer = buf, nowait = true, silent = true, desc = 'heddle: refresh' })
  show(buf)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  return buf
end

function M.explain()
  run('heddle.explain', nil, function(result)
    local md = (result and result.markdown) or ''
    local lines = vim.split(md, '\n', { plain = true })
    if #lines == 0 or (#lines == 1 and lines[1] == '') then
      lines = { '(the server sent no explanation)' }
    end
    vim.lsp.util.open_floating_preview(lines, 'markdown', {
      border = 'rounded',
      focus_id = 'heddle-explain',
      max_width = math.max(60, math.floor(vim.o.columns * 0.8)),
    })
  end)
end

local op_keys = {
  actor = 'actor',
  thread = 'thread',
  verb = 'verbs',
  verbs = 'verbs',
  symbol = 'symbol',
  signal = 'signalKind',
  since = 'sinceSecs',
  ['until'] = 'untilSecs',
}

--- Parses :HeddleOps arguments: an optional limit and key=value filters
--- (actor, thread, verb (comma-separated), symbol, signal, since, until),
--- and `checkpoints` to include checkpoint operations.
function M.parse_ops_args(fargs)
  local opts = {}
  for _, a in ipairs(fargs or {}) do
    local k, v = a:match('^([%w_]+)=(.*)$')
    if tonumber(a) then
      opts.limit = tonumber(a)
    elseif a == 'checkpoints' then
      opts.includeCheckpoints = true
    elseif k and op_keys[k] then
      local key = op_keys[k]
      if key == 'verbs' then
        opts.verbs = vim.split(v, ',', { plain = true, trimempty = true })
      elseif key == 'sinceSecs' or key == 'untilSecs' then
        opts[key] = tonumber(v)
        if not opts[key] then
          error(('%s= takes unix seconds, got %q'):format(k, v), 0)
        end
      else
        opts[key] = v
      end
    else
      error(('unknown argument %q (use a number, actor=, thread=, verb=, symbol=, signal=, since=, until=, checkpoints)'):format(a), 0)
    end
  end
  return opts
end

--- One line per operation: seq, local time, verb, actor, thread, symbols.
function M.format_ops(hits)
  local rows = {}
  local width = { 0, 0, 0, 0, 0 }
  for _, h in ipairs(hits or {}) do
    local row = {
      '#' .. tostring(h.seq),
      os.date('%Y-%m-%d %H:%M:%S', tonumber(h.timestampSecs) or 0),
      h.verb or '',
      h.actorEmail or '',
      h.thread or '',
      table.concat(h.symbols or {}, ' '),
    }
    for i = 1, 5 do
      width[i] = math.max(width[i], #row[i])
    end
    table.insert(rows, row)
  end
  local lines = {}
  for _, row in ipairs(rows) do
    local parts = {}
    for i = 1, 5 do
      table.insert(parts, row[i] .. string.rep(' ', width[i] - #row[i]))
    end
    table.insert(parts, row[6])
    table.insert(lines, (table.concat(parts, '  '):gsub('%s+$', '')))
  end
  return lines
end

--- The full record of one operation, a `key: value` line per field
--- (lists space-separated), sorted by key.
function M.format_op(hit)
  local lines = {}
  for key, value in pairs(hit or {}) do
    if type(value) == 'table' then
      value = table.concat(vim.tbl_map(tostring, value), ' ')
    elseif key == 'timestampSecs' and tonumber(value) then
      value = ('%s (%s)'):format(value, os.date('%Y-%m-%d %H:%M:%S', tonumber(value)))
    end
    table.insert(lines, ('%s: %s'):format(key, tostring(value)))
  end
  table.sort(lines)
  return lines
end

-- Shows the operation under the cursor of an ops buffer in a float.
local function show_op(buf)
  local hits = vim.b[buf].heddle_ops or {}
  local hit = hits[vim.api.nvim_win_get_cursor(0)[1]]
  if not hit then
    return
  end
  vim.lsp.util.open_floating_preview(M.format_op(hit), 'yaml', { border = 'rounded', focus_id = 'heddle-op' })
end

-- ops buffer -> true while its query runs; -> 'again' when a change came in
-- meanwhile (the answer in flight may predate it).
local ops_busy = {}

-- Re-runs an ops buffer's query and re-renders it in place: the windows
-- showing it keep their place, the cursor stays on the same operation.
local function refresh_ops(buf)
  if ops_busy[buf] then
    ops_busy[buf] = 'again'
    return
  end
  ops_busy[buf] = true
  local dir = vim.b[buf].heddle_root
  run_for(dir, nil, 'heddle.operations', vim.b[buf].heddle_ops_args or {}, function(result)
    local again = ops_busy[buf] == 'again'
    ops_busy[buf] = nil
    if not vim.api.nvim_buf_is_valid(buf) then
      return
    end
    local hits = (result and result.hits) or {}
    local old = vim.b[buf].heddle_ops or {}
    local cursors = {}
    for _, win in ipairs(vim.fn.win_findbuf(buf)) do
      local h = old[vim.api.nvim_win_get_cursor(win)[1]]
      cursors[win] = h and h.seq
    end
    local lines = M.format_ops(hits)
    set_lines(buf, #lines > 0 and lines or { '(no operations match)' }, 'heddleops')
    vim.api.nvim_buf_set_var(buf, 'heddle_ops', hits)
    vim.api.nvim_buf_set_var(buf, 'heddle_ops_generation', (vim.b[buf].heddle_ops_generation or 0) + 1)
    for win, seq in pairs(cursors) do
      for i, h in ipairs(hits) do
        if h.seq == seq then
          vim.api.nvim_win_set_cursor(win, { i, 0 })
          break
        end
      end
    end
    if again then
      refresh_ops(buf)
    end
  end, function(why)
    ops_busy[buf] = nil
    fail_loudly(why)
  end)
end

--- The operation log of `dir` changed (heddle/operationsChanged): an ops
--- buffer on screen reloads now; a hidden one when it is shown again.
function M.operations_changed(dir)
  local buf = reports['ops' .. dir]
  if not buf or not vim.api.nvim_buf_is_loaded(buf) then
    return
  end
  if #vim.fn.win_findbuf(buf) > 0 then
    refresh_ops(buf)
  elseif not vim.b[buf].heddle_ops_stale then
    vim.api.nvim_buf_set_var(buf, 'heddle_ops_stale', true)
    vim.api.nvim_create_autocmd('BufWinEnter', {
      buffer = buf,
      once = true,
      callback = function()
        vim.api.nvim_buf_set_var(buf, 'heddle_ops_stale', false)
        refresh_ops(buf)
      end,
    })
  end
end

function M.ops(fargs)
  local ok, opts = pcall(M.parse_ops_args, fargs)
  if not ok then
    say(':HeddleOps: ' .. tostring(opts), vim.log.levels.ERROR)
    return
  end
  run('heddle.operations', opts, function(result, dir)
    local hits = (result and result.hits) or {}
    local lines = M.format_ops(hits)
    if #lines == 0 then
      lines = { '(no operations match)' }
    end
    local buf = report('ops', dir, lines, 'heddleops', refresh_ops)
    vim.api.nvim_buf_set_var(buf, 'heddle_ops', hits)
    vim.api.nvim_buf_set_var(buf, 'heddle_ops_args', opts)
    vim.api.nvim_buf_set_var(buf, 'heddle_ops_generation', (vim.b[buf].heddle_ops_generation or 0) + 1)
    vim.keymap.set('n', '<CR>', function()
      show_op(buf)
    end, { buffer = buf, nowait = true, silent = true, desc = 'heddle: the full operation record' })
  end)
end

function M.signals(fargs)
  local opts = {}
  local window = fargs and fargs[1]
  if window then
    opts.windowStates = tonumber(window)
    if not opts.windowStates then
      say(':HeddleSignals takes a number of states, got ' .. window, vim.log.levels.ERROR)
      return
    end
  end
  run('heddle.signalHealth', opts, function(result, dir)
    local lines = {}
    for _, e in ipairs((result and result.entries) or {}) do
      table.insert(
        lines,
        ('%-28s fire rate %5.1f%%%s'):format(e.moduleId or '?', (tonumber(e.fireRate) or 0) * 100, e.warn and '  WARN' or '')
      )
    end
    if #lines == 0 then
      lines = { '(no signal modules)' }
    end
    if result and result.windowStates then
      table.insert(lines, 1, ('signal health over the last %d states'):format(result.windowStates))
    end
    report('signals', dir, lines, 'heddlesignals', function()
      M.signals(fargs)
    end)
  end)
end

function M.hooks()
  run('heddle.hooks', nil, function(result, dir)
    local lines = {}
    for _, h in ipairs((result and result.hooks) or {}) do
      table.insert(
        lines,
        ('%s  [%s]  %dms  %s'):format(h.name or '?', table.concat(h.events or {}, ','), tonumber(h.timeoutMs) or 0, h.command or '')
      )
    end
    if #lines == 0 then
      lines = { '(no hooks registered)' }
    end
    report('hooks', dir, lines, 'heddlehooks', function()
      M.hooks()
    end)
  end)
end

return M
