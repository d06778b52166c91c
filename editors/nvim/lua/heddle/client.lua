-- Finds or starts the heddle-ls client of each heddle root. The plugin's
-- own clients attach to no buffer: the server syncs no documents, and an
-- attached client would run users' LspAttach autocmds and crowd :LspInfo
-- and LSP statusline components in every buffer of a repository. Buffers
-- know their root through b:heddle_root instead.
--
-- A client of heddle-ls started any other way (vim.lsp.enable('heddle_ls')
-- with the shipped lsp/heddle_ls.lua, nvim-lspconfig, a hand-written
-- vim.lsp.start) is just as good: it is found by name or by the server's
-- serverInfo, and the plugin never starts a second server for its root.
local config = require('heddle.config')
local root = require('heddle.root')
local status = require('heddle.status')

local uv = vim.uv or vim.loop

local M = {}

M.name = 'heddle-ls'

-- The names a client of heddle-ls goes by: the plugin's, and the
-- lspconfig / vim.lsp.config convention (the config file lsp/heddle_ls.lua).
local names = { ['heddle-ls'] = true, heddle_ls = true }

-- root -> client id of the live client the plugin started for that root.
local clients = {}
-- root -> true when the server could not be spawned; no retry on every
-- buffer until :HeddleRefresh or setup() clears it.
local failed = {}

-- 0.11 turned client fields into methods and deprecated the 0.7-era
-- helpers; these pick the spelling the running Neovim has.
local has_011 = vim.fn.has('nvim-0.11') == 1

local function get_clients()
  return (vim.lsp.get_clients or vim.lsp.get_active_clients)()
end

local function is_stopped(client)
  if has_011 then
    return client:is_stopped()
  end
  return client.is_stopped()
end

local function stop_client(client)
  if has_011 then
    return client:stop()
  end
  return client.stop()
end

--- True for a client of heddle-ls, however it was started.
function M.is_heddle(client)
  if not client then
    return false
  end
  if names[client.name] then
    return true
  end
  local info = client.server_info
  return type(info) == 'table' and info.name == 'heddle-ls'
end

local function realpath(p)
  return p and (uv.fs_realpath(p) or p)
end

-- The root a client serves, spelt as root.for_buf spells buffers' roots
-- (symlinks resolved), so statuses and buffers meet under one key.
local function client_root(client)
  local wf = client.workspace_folders or (client.config and client.config.workspace_folders)
  if wf and #wf == 1 then
    return realpath(vim.uri_to_fname(wf[1].uri))
  end
  return realpath(client.config and client.config.root_dir)
end
M.client_root = client_root

-- True when `client` serves `dir` (its root, or one of its folders).
local function serves(client, dir)
  if client_root(client) == dir then
    return true
  end
  for _, f in ipairs(client.workspace_folders or {}) do
    if realpath(vim.uri_to_fname(f.uri)) == dir then
      return true
    end
  end
  return false
end

-- The store key of a notification: one folder per client (the plugin's
-- own clients, vim.lsp.enable): the client's root as the plugin spells it,
-- so buffers find it. Several folders (an lspconfig client): the folder the
-- notification is about.
local function key_of(ctx, params)
  local client = ctx and vim.lsp.get_client_by_id(ctx.client_id)
  if client and client.workspace_folders and #client.workspace_folders > 1 then
    return params.folder and realpath(vim.uri_to_fname(params.folder)) or params.root
  end
  return client and client_root(client) or (params.folder and realpath(vim.uri_to_fname(params.folder)))
end

local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }

--- vim.notify with the plugin's title, for every message it shows.
function M.notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = 'heddle' })
end

--- The notification handlers, shared by clients this plugin starts and by
--- clients of heddle-ls started elsewhere (lsp/heddle_ls.lua, lspconfig).
M.handlers = {
  ['heddle/status'] = function(_, params, ctx)
    if type(params) == 'table' then
      status.update(key_of(ctx, params), params, ctx and ctx.client_id)
    end
  end,
  ['heddle/operationsChanged'] = function(_, params, ctx)
    if type(params) ~= 'table' then
      return
    end
    local dir = key_of(ctx, params)
    if not dir then
      return
    end
    require('heddle.commands').operations_changed(dir)
    vim.g.heddle_operations_root = dir
    status.fire('HeddleOperations', { root = dir, folder = params.folder, headId = params.headId })
  end,
  ['experimental/serverStatus'] = function(_, params, ctx)
    if ctx then
      status.set_server_status(ctx.client_id, params)
    end
  end,
  ['window/showMessage'] = function(_, params)
    -- The server applies the `notifications` policy; 'off' is honoured here
    -- too so that a server that ignores it cannot make noise.
    if config.options.notifications == 'off' or type(params) ~= 'table' then
      return
    end
    local msg = tostring(params.message)
    -- heddle-ls already names itself ("heddle (repo): ..."); others get a prefix.
    if not msg:match('^heddle') then
      msg = 'heddle: ' .. msg
    end
    M.notify(msg, levels[params.type] or vim.log.levels.INFO)
  end,
}

--- For clients started elsewhere: on_exit marks their roots 'off'.
function M.on_exit(_, _, client_id)
  vim.schedule(function()
    status.client_exited(client_id)
  end)
end

-- Neovim dispatches a notification to the client's handler, else to
-- vim.lsp.handlers; registering heddle's own methods there makes a client
-- started without the plugin's handlers feed the store all the same.
-- experimental/serverStatus is shared with other servers (rust-analyzer):
-- only heddle-ls's are taken, the rest go to whoever handled them before.
local globals_installed = false
function M.install_global_handlers()
  if globals_installed then
    return
  end
  globals_installed = true
  for _, method in ipairs({ 'heddle/status', 'heddle/operationsChanged' }) do
    vim.lsp.handlers[method] = vim.lsp.handlers[method] or M.handlers[method]
  end
  local previous = vim.lsp.handlers['experimental/serverStatus']
  vim.lsp.handlers['experimental/serverStatus'] = function(err, params, ctx, cfg)
    if M.is_heddle(ctx and vim.lsp.get_client_by_id(ctx.client_id)) then
      return M.handlers['experimental/serverStatus'](err, params, ctx, cfg)
    elseif previous then
      return previous(err, params, ctx, cfg)
    end
  end
end

--- The client configuration for a root, usable with vim.lsp.start,
--- vim.lsp.start_client or (minus handlers) nvim-lspconfig.
function M.make_config(dir)
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.experimental = capabilities.experimental or {}
  capabilities.experimental.serverStatusNotification = true
  local settings = config.server_settings()
  return {
    name = M.name,
    cmd = config.server_cmd(),
    root_dir = dir,
    workspace_folders = { { uri = vim.uri_from_fname(dir), name = dir } },
    init_options = { heddle = settings },
    settings = { heddle = settings },
    capabilities = capabilities,
    handlers = M.handlers,
    on_exit = function(_, _, client_id)
      vim.schedule(function()
        if clients[dir] == client_id then
          clients[dir] = nil
        end
        status.client_exited(client_id)
      end)
    end,
  }
end

local function alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  return client ~= nil and not is_stopped(client)
end

-- Every live client of heddle-ls. Neovim lists a client only once it has
-- initialised; the plugin's own are known from the start.
local function heddle_clients()
  local out, seen = {}, {}
  for _, c in ipairs(get_clients()) do
    if M.is_heddle(c) and not is_stopped(c) then
      table.insert(out, c)
      seen[c.id] = true
    end
  end
  for _, id in pairs(clients) do
    if not seen[id] and alive(id) then
      table.insert(out, vim.lsp.get_client_by_id(id))
    end
  end
  return out
end

-- 0.11's vim.lsp.enable('heddle_ls') owns the starting: starting through
-- its config lets vim.lsp.start reuse the client it started (or will).
local function enabled_config()
  if vim.lsp.is_enabled and vim.lsp.is_enabled('heddle_ls') then
    return vim.lsp.config['heddle_ls']
  end
end

--- True when another mechanism starts heddle-ls for buffers (0.11's
--- vim.lsp.enable('heddle_ls'), or an nvim-lspconfig `heddle_ls` config):
--- the plugin's autostart then only marks buffers, never starts a server.
function M.started_elsewhere()
  if package.loaded['vim.lsp'] and enabled_config() then
    return true
  end
  local configs = package.loaded['lspconfig.configs']
  return type(configs) == 'table' and rawget(configs, 'heddle_ls') ~= nil
end

local function spawn_error(cmd, dir, detail)
  local why
  if vim.fn.executable(cmd[1]) ~= 1 then
    why = ('%q is not an executable file (install heddle-ls, or set `cmd`; see :checkhealth heddle)'):format(cmd[1])
  else
    why = detail or 'the spawn failed (see :HeddleLog)'
  end
  M.notify(('heddle: cannot start %s for %s: %s'):format(table.concat(cmd, ' '), dir, why), vim.log.levels.ERROR)
end

local function start(dir, bufnr)
  local enabled = enabled_config()
  local cfg, id, ok
  if enabled then
    cfg = vim.deepcopy(enabled)
    cfg.root_dir = dir
    cfg.name = 'heddle_ls'
    ok, id = pcall(vim.lsp.start, cfg, { bufnr = bufnr, silent = true })
  else
    cfg = M.make_config(dir)
    if has_011 then
      ok, id = pcall(vim.lsp.start, cfg, { attach = false, silent = true })
    else
      -- 0.8–0.10's vim.lsp.start always attaches the buffer; start_client
      -- (0.7+, deprecated only from 0.11) does not.
      ok, id = pcall(vim.lsp.start_client, cfg)
    end
  end
  -- A failed spawn throws on some versions and returns nil on others.
  if not ok or type(id) ~= 'number' then
    failed[dir] = true
    status.set_lifecycle(dir, 'off')
    spawn_error(type(cfg.cmd) == 'table' and cfg.cmd or { tostring(cfg.cmd) }, dir, not ok and tostring(id) or nil)
    return nil
  end
  if not enabled then
    clients[dir] = id
  end
  status.set_owner(dir, id)
  if status.get(dir) == nil then
    status.set_lifecycle(dir, 'connecting')
  end
  return id
end

--- The live client for a root: the plugin's own, else any client of
--- heddle-ls serving it; nil when none runs.
function M.get(dir)
  local id = clients[dir]
  if alive(id) then
    return vim.lsp.get_client_by_id(id)
  end
  for _, c in ipairs(heddle_clients()) do
    if serves(c, dir) then
      return c
    end
  end
  return nil
end

--- Marks a buffer inside a heddle repository (b:heddle_root) and makes
--- sure a client runs for its root, starting one unless `no_start` or a
--- client is running. Returns the client id, or nil.
function M.attach(bufnr, no_start)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return nil
  end
  local dir = root.for_buf(bufnr)
  if not dir then
    return nil
  end
  vim.api.nvim_buf_set_var(bufnr, 'heddle_root', dir)
  M.install_global_handlers()
  local client = M.get(dir)
  if client then
    return client.id
  end
  if no_start or failed[dir] then
    return nil
  end
  return start(dir, bufnr)
end

--- The client and root for a buffer: its own root's client (nil when that
--- is not running); for a buffer outside any repository, the only running
--- heddle client if there is exactly one.
function M.for_buf(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local ok, dir = pcall(vim.api.nvim_buf_get_var, bufnr, 'heddle_root')
  if not ok or not dir then
    dir = root.for_buf(bufnr)
  end
  if dir then
    -- A buffer of a repository whose client is gone must not borrow
    -- another repository's client.
    return M.get(dir), dir
  end
  local found = heddle_clients()
  if #found == 1 then
    return found[1], client_root(found[1])
  end
  return nil, dir
end

--- Every live heddle client as {root=..., client=...}, sorted by root.
function M.all()
  local out, seen = {}, {}
  for _, c in ipairs(heddle_clients()) do
    local dir = client_root(c)
    if dir and not seen[dir] then
      seen[dir] = true
      table.insert(out, { root = dir, client = c })
    end
  end
  table.sort(out, function(a, b)
    return a.root < b.root
  end)
  return out
end

--- Forgets spawn failures and cached roots, so the next attach retries.
function M.reset()
  failed = {}
  root.clear()
end

--- Stops every client this plugin started.
function M.stop()
  for dir, id in pairs(clients) do
    local client = vim.lsp.get_client_by_id(id)
    if client then
      stop_client(client)
    end
    clients[dir] = nil
    status.set_lifecycle(dir, 'off')
  end
end

--- Stops the client of `dir` and starts a fresh one (with the current
--- options, for the plugin's own; with its own config for one started
--- elsewhere, re-attached to the buffers it had). Returns the new id.
function M.restart(dir, bufnr)
  local old = M.get(dir)
  failed[dir] = nil
  if not old then
    return start(dir, bufnr)
  end
  local own = clients[dir] == old.id
  if not own and not vim.lsp.start then
    M.notify('heddle: this heddle-ls was not started by the plugin: restart it where it was started (:LspRestart)',
      vim.log.levels.WARN)
    return nil
  end
  local buffers = vim.tbl_keys(old.attached_buffers or {})
  local cfg = old.config
  clients[dir] = nil
  stop_client(old)
  status.set_lifecycle(dir, 'connecting')
  if own then
    return start(dir, bufnr)
  end
  -- vim.lsp.start reuses no stopped client: this starts a fresh one.
  local id
  for _, b in ipairs(#buffers > 0 and buffers or { bufnr }) do
    id = vim.lsp.start(cfg, { bufnr = b }) or id
  end
  if id then
    status.set_owner(dir, id)
  end
  return id
end

--- Sends workspace/executeCommand to a client; `handler(err, result)` runs
--- on the main loop. 0.11 made the client methods colon-calls.
function M.execute(client, command, arguments, handler)
  local params = { command = command, arguments = arguments }
  local function h(err, result)
    handler(err, result)
  end
  if has_011 then
    return client:request('workspace/executeCommand', params, h)
  end
  return client.request('workspace/executeCommand', params, h)
end

return M
