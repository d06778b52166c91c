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
-- root path -> id of the client whose status it is (to mark it 'off' when
-- that client exits, however it was started).
local owner = {}
-- client id -> the last experimental/serverStatus params.
local server_status = {}
-- root path -> callbacks waiting for the root's first status (commands
-- against a server that is still taking the folder in).
local waiting = {}

local has_08 = vim.fn.has('nvim-0.8') == 1

-- JSON null arrives as nil or, in some decoders, vim.NIL.
local function present(v)
  return v ~= nil and v ~= vim.NIL
end
M.present = present

local function folder_path(status)
  if type(status.folder) == 'string' and status.folder:match('^file://') then
    return vim.uri_to_fname(status.folder)
  end
  return status.folder or status.root
end

--- Fires `User {pattern}` with `data` (0.8+). Neovim 0.7 cannot pass data:
--- listeners read g:heddle_status_root / g:heddle_operations_root instead.
function M.fire(pattern, data)
  if has_08 then
    vim.api.nvim_exec_autocmds('User', { pattern = pattern, modeline = false, data = data })
  else
    vim.api.nvim_exec_autocmds('User', { pattern = pattern, modeline = false })
  end
end

local function fire(root)
  vim.g.heddle_status_root = root
  M.fire('HeddleStatus', { root = root, status = by_root[root], state = M.state(root) })
end

local function settle(root, err)
  local list = waiting[root]
  waiting[root] = nil
  for _, fn in ipairs(list or {}) do
    fn(err)
  end
end

--- Records one status object (the `heddle/status` shape) under `root` (the
--- client's root: the server may spell the path differently, e.g.
--- resolved), sent by client `client_id` when known.
function M.update(root, status, client_id)
  root = root or folder_path(status)
  if root == nil then
    return
  end
  local old = by_root[root]
  by_root[root] = status
  lifecycle[root] = nil
  owner[root] = client_id or owner[root]
  -- The server sends a status only when it changed, but :HeddleStatus and
  -- :HeddleRefresh feed their answers here too.
  if not vim.deep_equal(old, status) then
    vim.cmd('redrawstatus!')
    fire(root)
  end
  settle(root)
end

--- Marks a root as waiting for the server ('connecting') or without a
--- server ('off', after the client exits); drops its daemon status.
function M.set_lifecycle(root, what)
  by_root[root] = nil
  lifecycle[root] = what
  vim.cmd('redrawstatus!')
  fire(root)
  if what == 'off' then
    settle(root, 'heddle-ls is not running for ' .. root)
  end
end

--- Calls fn() once `root` has a status (now, if it has one), or fn(err)
--- when the server for it goes away first.
function M.when_known(root, fn)
  if by_root[root] then
    return fn()
  end
  waiting[root] = waiting[root] or {}
  table.insert(waiting[root], fn)
end

--- Marks every root whose status came from `client_id` as 'off', unless a
--- newer client spoke for it since.
function M.client_exited(client_id)
  server_status[client_id] = nil
  for root, id in pairs(owner) do
    if id == client_id then
      owner[root] = nil
      M.set_lifecycle(root, 'off')
    end
  end
end

--- Notes that `client_id` now serves `root` (before it has said anything).
function M.set_owner(root, client_id)
  owner[root] = client_id
end

function M.set_server_status(client_id, params)
  server_status[client_id] = params
end

function M.server_status(client_id)
  return server_status[client_id]
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
--- A mount daemon, when the repository has one, follows: ' mount:running'.
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
  local text = M.format(state)
  local mount = by_root[root] and by_root[root].mount
  if present(mount) and type(mount) == 'table' and mount.state then
    text = text .. ' mount:' .. mount.state
  end
  return text
end

local by_health = { ok = 'ok', warning = 'warn', error = 'error' }

--- 'ok' | 'warn' | 'error' | 'none' for a root: the server's `health`
--- verdict (second edition of the contract). A status without one (an older
--- server) and 'connecting' are 'none': no colour. 'off' (no server for the
--- root) is the plugin's own verdict: 'error'.
function M.severity(root)
  local s = root and by_root[root]
  if s then
    return by_health[s.health] or 'none'
  end
  return (root and lifecycle[root] == 'off') and 'error' or 'none'
end

--- The highlight group for a root's severity, or nil for 'none'.
function M.highlight(root)
  return ({ ok = 'HeddleStatusOk', warn = 'HeddleStatusWarn', error = 'HeddleStatusError' })[M.severity(root)]
end

return M
