-- The plugin's options: defaults, validation and the merged values that
-- every other module reads through `require('heddle.config').options`.
local M = {}

M.defaults = {
  -- The server command; the first element is looked up on $PATH.
  cmd = { 'heddle-ls' },
  -- Which daemon changes reach you as messages: 'off' | 'errors' | 'transitions'.
  -- The server applies it; the plugin also drops every message when 'off'.
  notifications = 'errors',
  -- Server settings (DESIGN.md "Settings"), sent as init_options.heddle and
  -- answered to workspace/configuration: connectTimeoutMs, healthTimeoutMs,
  -- queryTimeoutMs.
  settings = {},
  -- Attach to buffers inside heddle repos automatically.
  autostart = true,
  statusline = {
    -- The text is prefix .. icon .. state, e.g. 'heddle:ready'.
    prefix = 'heddle:',
    -- Per-state icon placed before the state word; ASCII-safe by default.
    icons = {},
    -- Show the state word after the icon (set false for icon-only).
    show_state = true,
  },
  -- Where :HeddleOps, :HeddleSignals and :HeddleHooks open their buffer:
  -- 'split' | 'vsplit' | 'tab' | 'current'.
  open = 'split',
}

M.options = vim.deepcopy(M.defaults)

local notification_values = { off = true, errors = true, transitions = true }

function M.set(opts)
  opts = opts or {}
  -- Plain checks: the table form of vim.validate is deprecated from 0.11.
  for key, want in pairs({ cmd = 'table', notifications = 'string', settings = 'table', statusline = 'table', open = 'string', autostart = 'boolean' }) do
    if opts[key] ~= nil and type(opts[key]) ~= want then
      error(('heddle: option %s must be a %s, got %s'):format(key, want, type(opts[key])), 2)
    end
  end
  if opts.notifications and not notification_values[opts.notifications] then
    error(("heddle: notifications must be 'off', 'errors' or 'transitions', got %q"):format(opts.notifications))
  end
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- A list replaces, never merges: cmd = {'x'} must not keep default tail items.
  if opts.cmd then
    M.options.cmd = vim.deepcopy(opts.cmd)
  end
  return M.options
end

--- The server settings as sent on the wire: the user's `settings` plus
--- `notifications`, which is a server setting too.
function M.server_settings()
  local s = vim.deepcopy(M.options.settings or {})
  s.notifications = M.options.notifications
  return s
end

return M
