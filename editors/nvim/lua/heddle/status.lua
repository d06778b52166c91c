-- The per-root status store, fed by the server's `heddle/status` and
-- `experimental/serverStatus` notifications, and the statusline text drawn
-- from it. The statusline reads only this cache: no I/O, no RPC, so it is
-- cheap enough to run on every redraw.
local config = require('heddle.config')

local M = {}

-- root path -> the last heddle/status object for that folder.
local by_root = {}
-- root path -> 'connecting' | 'off': what the plugin knows before (or
-- after) the server speaks for the root.
local lifecycle = {}
-- client id -> the last experimental/serverStatus params.
local server_status = {}

local function folder_path(status)
  if type(status.folder) == 'string' and status.folder:match('^file://') then
    return vim.uri_to_fname(status.folder)
  end
  return status.folder or status.root
end

local function fire(root)
  -- nvim_exec_autocmds has no `data` on 0.7: listeners read the status with
  -- require('heddle').status(); vim.g.heddle_status_root names the root.
  vim.g.heddle_status_root = root
  vim.api.nvim_exec_autocmds('User', { pattern = 'HeddleStatus', modeline = false })
end

local function changed(old, new)
  if old == nil then
    return true
  end
  for _, k in ipairs({ 'state', 'reason', 'message', 'hint', 'pid', 'api', 'root' }) do
    if old[k] ~= new[k] then
      return true
    end
  end
  return false
end

--- Records one status object (the `heddle/status` shape) under `root` (the
--- client's root: the server may spell the path differently, e.g. resolved).
function M.update(root, status)
  root = root or folder_path(status)
  if root == nil then
    return
  end
  local old = by_root[root]
  by_root[root] = status
  lifecycle[root] = nil
  if changed(old, status) then
    vim.cmd('redrawstatus!')
    fire(root)
  end
end

--- Marks a root as waiting for the server ('connecting') or without a
--- server ('off', after the client exits); drops its daemon status.
function M.set_lifecycle(root, what)
  by_root[root] = nil
  lifecycle[root] = what
  vim.cmd('redrawstatus!')
  fire(root)
end

function M.set_server_status(client_id, params)
  server_status[client_id] = params
end

function M.server_status(client_id)
  return server_status[client_id]
end

function M.clear_client(client_id)
  server_status[client_id] = nil
end

--- The last status object for a root, or nil.
function M.get(root)
  return by_root[root]
end

--- The state word for a root: a daemon state from the contract, or
--- 'connecting' / 'off' from the plugin, or nil when unknown.
function M.state(root)
  local s = by_root[root]
  if s then
    return s.state
  end
  return lifecycle[root]
end

--- Every root the store knows, sorted.
function M.roots()
  local seen, out = {}, {}
  for r in pairs(by_root) do
    seen[r] = true
  end
  for r in pairs(lifecycle) do
    seen[r] = true
  end
  for r in pairs(seen) do
    table.insert(out, r)
  end
  table.sort(out)
  return out
end

--- Formats a state word for the statusline with the configured prefix and icons.
function M.format(state)
  local o = config.options.statusline or {}
  local icon = (o.icons or {})[state] or ''
  local word = (o.show_state == false and icon ~= '') and '' or state
  return (o.prefix or '') .. icon .. word
end

--- The statusline text for a buffer (default: the current one): '' outside
--- heddle repos. Reads the buffer variable set at attach time and the cache.
function M.statusline(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local ok, root = pcall(vim.api.nvim_buf_get_var, bufnr, 'heddle_root')
  if not ok or not root then
    return ''
  end
  local state = M.state(root)
  if state == nil then
    return ''
  end
  return M.format(state)
end

--- 'ok' | 'warn' | 'error' for a state, for colours and :checkhealth.
function M.severity(state)
  if state == 'ready' then
    return 'ok'
  elseif state == 'denied' or state == 'invalid-pidfile' or state == 'unhealthy' or state == 'off' then
    return 'error'
  end
  return 'warn'
end

return M
