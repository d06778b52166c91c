-- The user commands: each sends one read-only workspace/executeCommand to
-- the current buffer's heddle-ls client and shows the answer. Server errors
-- (daemon not ready, API lacking the query) are shown with the server's
-- own message.
local config = require('heddle.config')
local client_mod = require('heddle.client')
local status = require('heddle.status')

local M = {}

local function notify(msg, level)
  vim.notify('heddle: ' .. msg, level or vim.log.levels.INFO)
end

-- The client, root and folder URI the command applies to, or nil after
-- telling the user why not.
local function target()
  local bufnr = vim.api.nvim_get_current_buf()
  local client, dir = client_mod.for_buf(bufnr)
  if not client and dir and config.options.autostart then
    client_mod.attach(bufnr)
    client, dir = client_mod.for_buf(bufnr)
    -- A fresh server refuses requests before `initialize` completes
    -- (-32002) and answers "not tracked" until it has taken the folder in,
    -- which its first heddle/status for the folder announces (within
    -- milliseconds).
    if client then
      vim.wait(5000, function()
        return status.get(dir) ~= nil
      end, 5)
    end
  end
  if not client then
    if dir then
      notify('heddle-ls is not running for ' .. dir .. ' (see :checkhealth heddle)', vim.log.levels.ERROR)
    else
      notify('this buffer is not inside a heddle repository', vim.log.levels.WARN)
    end
    return nil
  end
  return client, dir, vim.uri_from_fname(dir)
end

local function run(command, arguments, on_result)
  local client, dir, uri = target()
  if not client then
    return
  end
  local args = { uri }
  if arguments then
    -- vim.json encodes {} as [], and the server wants an options object.
    table.insert(args, next(arguments) == nil and vim.empty_dict() or arguments)
  end
  client_mod.execute(client, command, args, function(err, result)
    if err then
      notify(command .. ': ' .. tostring(err.message or err), vim.log.levels.ERROR)
      return
    end
    on_result(result, dir)
  end, vim.api.nvim_get_current_buf())
end

--- One line per status object: root, state, message and hint.
function M.format_status(s)
  local line = ('%s: %s'):format(s.root ~= '' and s.root or s.folder or '?', s.state)
  if s.message and s.message ~= '' then
    line = line .. ' - ' .. s.message
  end
  if s.hint and s.hint ~= '' then
    line = line .. ' (' .. s.hint .. ')'
  end
  return line
end

local function show_statuses(result, dir, level_ok)
  local lines = {}
  local worst = vim.log.levels.INFO
  for _, s in ipairs(result or {}) do
    status.update(dir, s)
    table.insert(lines, M.format_status(s))
    if s.state ~= 'ready' then
      worst = vim.log.levels.WARN
    end
  end
  if #lines == 0 then
    lines = { 'no folders' }
  end
  notify(table.concat(lines, '\n'), level_ok and worst or vim.log.levels.INFO)
end

function M.status()
  run('heddle.status', nil, function(result, dir)
    show_statuses(result, dir, true)
  end)
end

function M.refresh()
  client_mod.reset()
  run('heddle.refresh', nil, function(result, dir)
    show_statuses(result, dir, true)
  end)
end

-- A scratch buffer named `heddle://<kind>/<root>`, reused on repeat,
-- shown according to the `open` option; returns the buffer.
local function scratch(kind, dir, lines, filetype)
  local name = ('heddle://%s%s'):format(kind, dir)
  local buf = vim.fn.bufnr(name)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = filetype
  vim.api.nvim_buf_set_var(buf, 'heddle_root', dir)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
  else
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
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, nowait = true, silent = true })
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

function M.ops(fargs)
  local ok, opts = pcall(M.parse_ops_args, fargs)
  if not ok then
    notify(':HeddleOps: ' .. tostring(opts), vim.log.levels.ERROR)
    return
  end
  run('heddle.operations', opts, function(result, dir)
    local hits = (result and result.hits) or {}
    local lines = M.format_ops(hits)
    if #lines == 0 then
      lines = { '(no operations match)' }
    end
    local buf = scratch('ops', dir, lines, 'heddleops')
    vim.api.nvim_buf_set_var(buf, 'heddle_ops', hits)
  end)
end

function M.signals(fargs)
  local opts = {}
  local window = fargs and fargs[1]
  if window then
    opts.windowStates = tonumber(window)
    if not opts.windowStates then
      notify(':HeddleSignals takes a number of states, got ' .. window, vim.log.levels.ERROR)
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
    scratch('signals', dir, lines, 'heddlesignals')
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
    scratch('hooks', dir, lines, 'heddlehooks')
  end)
end

return M
