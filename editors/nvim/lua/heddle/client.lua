-- Starts or reuses one heddle-ls client per heddle root and attaches
-- buffers to it. Neovim 0.8+ has vim.lsp.start (start-or-reuse); 0.7 has
-- only vim.lsp.start_client + vim.lsp.buf_attach_client, so the reuse is
-- done here by root for both.
local config = require('heddle.config')
local root = require('heddle.root')
local status = require('heddle.status')

local M = {}

M.name = 'heddle-ls'

-- root -> client id of the live client for that root.
local clients = {}
-- root -> true when the server could not be spawned; no retry on every
-- buffer until :HeddleRefresh or setup() clears it.
local failed = {}

local function client_root(client)
  local wf = client.workspace_folders or (client.config and client.config.workspace_folders)
  if wf and #wf == 1 then
    return vim.uri_to_fname(wf[1].uri)
  end
  return client.config and client.config.root_dir
end

local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }

--- The notification handlers, shared by clients this plugin starts and by
--- users who start heddle-ls through nvim-lspconfig.
M.handlers = {
  ['heddle/status'] = function(_, params, ctx)
    if type(params) ~= 'table' then
      return
    end
    local client = ctx and vim.lsp.get_client_by_id(ctx.client_id)
    local key
    -- One folder per client (the plugin's own clients): key by the
    -- client's root as the plugin spells it, so buffers find it. Several
    -- folders (an lspconfig client): key by the folder the status is for.
    if client and client.workspace_folders and #client.workspace_folders > 1 then
      key = params.folder and vim.uri_to_fname(params.folder) or params.root
    else
      key = client and client_root(client) or (params.folder and vim.uri_to_fname(params.folder))
    end
    status.update(key, params)
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
    vim.notify(msg, levels[params.type] or vim.log.levels.INFO, { title = 'heddle' })
  end,
}

--- The client configuration for a root, usable with vim.lsp.start,
--- vim.lsp.start_client or (minus handlers) nvim-lspconfig.
function M.make_config(dir)
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.experimental = capabilities.experimental or {}
  capabilities.experimental.serverStatusNotification = true
  local settings = config.server_settings()
  return {
    name = M.name,
    cmd = config.options.cmd,
    root_dir = dir,
    workspace_folders = { { uri = vim.uri_from_fname(dir), name = dir } },
    init_options = { heddle = settings },
    settings = { heddle = settings },
    capabilities = capabilities,
    handlers = M.handlers,
    on_exit = function(_, _, client_id)
      vim.schedule(function()
        status.clear_client(client_id)
        if clients[dir] == client_id then
          clients[dir] = nil
          status.set_lifecycle(dir, 'off')
        end
      end)
    end,
  }
end

-- 0.11 turned client fields into methods and deprecated the 0.7-era
-- helpers; these pick the spelling the running Neovim has.
local has_011 = vim.fn.has('nvim-0.11') == 1
local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients

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

local function alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  return client ~= nil and not is_stopped(client)
end

local function start(dir, bufnr)
  local cfg = M.make_config(dir)
  local ok, id
  if vim.lsp.start then
    ok, id = pcall(vim.lsp.start, cfg, { bufnr = bufnr })
  else
    ok, id = pcall(vim.lsp.start_client, cfg)
  end
  if not ok or not id then
    failed[dir] = true
    status.set_lifecycle(dir, 'off')
    vim.notify(
      ('heddle: cannot start %s for %s: %s'):format(table.concat(cfg.cmd, ' '), dir, tostring(id)),
      vim.log.levels.ERROR
    )
    return nil
  end
  clients[dir] = id
  if status.state(dir) == nil or status.state(dir) == 'off' then
    status.set_lifecycle(dir, 'connecting')
  end
  return id
end

--- Attaches a buffer to its root's client, starting the client if needed.
--- Returns the client id, or nil when the buffer is outside heddle repos.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return nil
  end
  local dir = root.for_buf(bufnr)
  if not dir then
    return nil
  end
  vim.api.nvim_buf_set_var(bufnr, 'heddle_root', dir)
  local id = clients[dir]
  if not alive(id) then
    if failed[dir] then
      return nil
    end
    id = start(dir, bufnr)
    if not id then
      return nil
    end
  end
  if not vim.lsp.buf_is_attached(bufnr, id) then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- The live client for a root, or nil.
function M.get(dir)
  local id = clients[dir]
  if alive(id) then
    return vim.lsp.get_client_by_id(id)
  end
  return nil
end

--- The client and root for a buffer: its own root's client (nil when that
--- is not running); for a buffer outside any repository, the only running
--- heddle client if there is exactly one (lspconfig-started clients).
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
  local found = {}
  for _, c in ipairs(get_clients()) do
    if c.name == M.name and not is_stopped(c) then
      table.insert(found, c)
    end
  end
  if #found == 1 then
    return found[1], client_root(found[1])
  end
  return nil, dir
end

--- Every live heddle client as {root=..., client=...}, sorted by root.
function M.all()
  local out = {}
  for dir, id in pairs(clients) do
    if alive(id) then
      table.insert(out, { root = dir, client = vim.lsp.get_client_by_id(id) })
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

--- Sends workspace/executeCommand to a client; `handler(err, result)` runs
--- on the main loop. 0.11 made the client methods colon-calls.
function M.execute(client, command, arguments, handler, bufnr)
  local params = { command = command, arguments = arguments }
  local function h(err, result)
    handler(err, result)
  end
  if has_011 then
    return client:request('workspace/executeCommand', params, h, bufnr)
  end
  return client.request('workspace/executeCommand', params, h, bufnr)
end

M.client_root = client_root

return M
