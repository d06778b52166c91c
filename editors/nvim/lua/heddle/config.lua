-- The plugin's options: defaults, validation and the merged values that
-- every other module reads through `require('heddle.config').options`.
local M = {}

M.defaults = {
  -- The server command; the first element is looked up on $PATH.
  cmd = { 'heddle-ls' },
  -- The server's --log-level, added to `cmd` unless it names one. Neovim
  -- records every line a server writes to stderr as an ERROR in lsp.log,
  -- so the server's info lines (one per status change) stay out of it.
  log_level = 'warn',
  -- A file for the server's log (--log-file) instead of stderr, so lsp.log
  -- (vim.lsp.get_log_path()) keeps none of it; '' = stderr. :HeddleLog
  -- opens whichever holds it.
  log_file = '',
  -- Which daemon changes reach you as messages: 'off' | 'errors' | 'transitions'.
  -- The server applies it; the plugin also drops every message when 'off'.
  notifications = 'errors',
  -- Server settings (DESIGN.md "Settings"), sent as init_options.heddle and
  -- answered to workspace/configuration: connectTimeoutMs, healthTimeoutMs,
  -- queryTimeoutMs, heddlePath.
  settings = {},
  -- Start a client for every repository whose files you open.
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

-- How the options were last set: nil (never), 'setup' or 'g:heddle'.
M.source = nil

local notification_values = { off = true, errors = true, transitions = true }
local log_levels = { debug = true, info = true, warn = true, error = true }

-- Unknown keys are a typo far more often than a plan (`notification = 'off'`
-- would otherwise be ignored without a word): name them, and the options.
local function unknown_keys(opts, defaults, path)
  local out = {}
  for key, value in pairs(opts) do
    local want = defaults[key]
    if want == nil then
      table.insert(out, path .. tostring(key))
    elseif type(want) == 'table' and type(value) == 'table' and type(next(want)) == 'string' then
      vim.list_extend(out, unknown_keys(value, want, path .. key .. '.'))
    end
  end
  table.sort(out)
  return out
end

local function names(defaults)
  local out = {}
  for key in pairs(defaults) do
    table.insert(out, key)
  end
  table.sort(out)
  return table.concat(out, ', ')
end

function M.set(opts, source)
  opts = opts or {}
  -- Plain checks: the table form of vim.validate is deprecated from 0.11.
  for key, want in pairs({
    cmd = 'table', notifications = 'string', settings = 'table', statusline = 'table', open = 'string',
    autostart = 'boolean', log_level = 'string', log_file = 'string',
  }) do
    if opts[key] ~= nil and type(opts[key]) ~= want then
      error(('heddle: option %s must be a %s, got %s'):format(key, want, type(opts[key])), 2)
    end
  end
  if opts.notifications and not notification_values[opts.notifications] then
    error(("heddle: notifications must be 'off', 'errors' or 'transitions', got %q"):format(opts.notifications))
  end
  if opts.log_level and not log_levels[opts.log_level] then
    error(("heddle: log_level must be 'debug', 'info', 'warn' or 'error', got %q"):format(opts.log_level))
  end
  local unknown = unknown_keys(opts, M.defaults, '')
  if #unknown > 0 then
    vim.notify(('heddle: unknown option %s (options: %s)'):format(table.concat(unknown, ', '), names(M.defaults)),
      vim.log.levels.WARN, { title = 'heddle' })
  end
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- A list replaces, never merges: cmd = {'x'} must not keep default tail items.
  if opts.cmd then
    M.options.cmd = vim.deepcopy(opts.cmd)
  end
  M.source = source or 'setup'
  return M.options
end

--- The command the server is spawned with: `cmd`, plus --log-level and
--- --log-file unless `cmd` already names them.
function M.server_cmd()
  local cmd = vim.deepcopy(M.options.cmd)
  local function has(flag)
    for _, a in ipairs(cmd) do
      if a == flag or a:sub(1, #flag + 1) == flag .. '=' then
        return true
      end
    end
  end
  if M.options.log_level and not has('--log-level') then
    vim.list_extend(cmd, { '--log-level', M.options.log_level })
  end
  if M.options.log_file ~= '' and not has('--log-file') then
    vim.list_extend(cmd, { '--log-file', M.options.log_file })
  end
  return cmd
end

--- The server settings as sent on the wire: the user's `settings` plus
--- `notifications`, which is a server setting too.
function M.server_settings()
  local s = vim.deepcopy(M.options.settings or {})
  s.notifications = M.options.notifications
  return s
end

return M
