-- heddle.nvim: shows whether the heddle daemon of each repository you edit
-- is alive, through the heddle-ls language server, and runs its read-only
-- queries. See :help heddle.
local config = require('heddle.config')
local status = require('heddle.status')

local M = {}

local group

local function highlights()
  -- `default` links: a colour scheme's own HeddleStatus* groups win.
  vim.cmd([[
    highlight default link HeddleStatusOk DiagnosticInfo
    highlight default link HeddleStatusWarn DiagnosticWarn
    highlight default link HeddleStatusError DiagnosticError
  ]])
end

--- Configures the plugin and attaches every buffer inside a heddle repo
--- (already loaded ones too) to one heddle-ls client per repository.
function M.setup(opts)
  config.set(opts)
  local client = require('heddle.client')
  client.reset()
  highlights()
  group = vim.api.nvim_create_augroup('heddle', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = highlights })
  if config.options.autostart then
    vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'BufFilePost' }, {
      group = group,
      callback = function(args)
        client.attach(args.buf)
      end,
    })
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) then
        client.attach(buf)
      end
    end
  end
  return M
end

--- Attaches a buffer (default: current) to its repository's client.
function M.attach(bufnr)
  return require('heddle.client').attach(bufnr)
end

--- The statusline text for a buffer (default: current): '' outside heddle
--- repos, else prefix .. icon .. state, e.g. 'heddle:ready'. Cached state
--- only: safe to call on every redraw.
function M.statusline(bufnr)
  return status.statusline(bufnr)
end

--- Like statusline(), wrapped in a %#HeddleStatus{Ok,Warn,Error}# group for
--- use inside 'statusline'.
function M.statusline_hl(bufnr)
  local text = status.statusline(bufnr)
  if text == '' then
    return ''
  end
  local b = bufnr or vim.api.nvim_get_current_buf()
  local sev = status.severity(status.state(vim.b[b].heddle_root))
  local hl = ({ ok = 'HeddleStatusOk', warn = 'HeddleStatusWarn', error = 'HeddleStatusError' })[sev]
  return '%#' .. hl .. '#' .. text .. '%*'
end

--- The last `heddle/status` object for a root (default: the current
--- buffer's root), or nil.
function M.status(dir)
  dir = dir or vim.b.heddle_root
  return dir and status.get(dir) or nil
end

--- The last experimental/serverStatus ({health, quiescent, message}) of the
--- current buffer's client, or nil.
function M.server_status()
  local c = require('heddle.client').for_buf(0)
  return c and status.server_status(c.id) or nil
end

--- For nvim-lspconfig users: the handlers and the on_attach that make the
--- statusline and commands work with a client started elsewhere.
M.handlers = require('heddle.client').handlers

function M.on_attach(client, bufnr)
  local dir = require('heddle.client').client_root(client)
  if dir then
    vim.api.nvim_buf_set_var(bufnr, 'heddle_root', dir)
  end
end

return M
