-- heddle.nvim: shows whether the heddle daemon of each repository you edit
-- is alive, through the heddle-ls language server, and runs its read-only
-- queries. See :help heddle.
local config = require('heddle.config')
local status = require('heddle.status')

local M = {}

local function highlights()
  -- `default` links: a colour scheme's own HeddleStatus* groups win.
  -- DiagnosticOk exists from Neovim 0.9.
  local ok = vim.fn.hlexists('DiagnosticOk') == 1 and 'DiagnosticOk' or 'DiagnosticInfo'
  vim.cmd(([[
    highlight default link HeddleStatusOk %s
    highlight default link HeddleStatusWarn DiagnosticWarn
    highlight default link HeddleStatusError DiagnosticError
  ]]):format(ok))
end

-- Clients of heddle-ls that attach to buffers (vim.lsp.enable, lspconfig)
-- tell the plugin about themselves here (0.8+): the buffer learns its root,
-- and the plugin's handlers take the client's notifications from now on.
-- (No heddle.status here: during the server's first probe it re-probes,
-- and that disturbs queries in flight.)
local function on_lsp_attach(args)
  local client_mod = require('heddle.client')
  local c = vim.lsp.get_client_by_id(args.data and args.data.client_id or -1)
  if client_mod.is_heddle(c) then
    client_mod.install_global_handlers()
    M.on_attach(c, args.buf)
  end
end

--- Configures the plugin and, with `autostart`, marks every buffer inside a
--- heddle repository (already loaded ones too) and starts one heddle-ls
--- client per repository. Without a call, the plugin initialises itself
--- from vim.g.heddle once Neovim has started.
function M.setup(opts, source)
  config.set(opts, source)
  local client = require('heddle.client')
  client.reset()
  highlights()
  local group = vim.api.nvim_create_augroup('heddle', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = highlights })
  if vim.fn.has('nvim-0.8') == 1 then
    vim.api.nvim_create_autocmd('LspAttach', { group = group, callback = on_lsp_attach })
  end
  if config.options.autostart then
    local function attach(buf)
      -- Where vim.lsp.enable('heddle_ls') or lspconfig starts heddle-ls,
      -- the buffer only learns its root: no second server.
      client.attach(buf, client.started_elsewhere())
    end
    vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'BufFilePost' }, {
      group = group,
      callback = function(args)
        attach(args.buf)
      end,
    })
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) then
        attach(buf)
      end
    end
  end
  return M
end

--- setup() from vim.g.heddle, unless setup() was called already. Run by
--- plugin/heddle.lua once Neovim has started (:h lua-plugin).
function M.auto_setup()
  if config.source == nil then
    local opts = vim.g.heddle
    M.setup(type(opts) == 'table' and opts or {}, 'g:heddle')
  end
end

--- Marks a buffer (default: current) with its repository root and starts
--- the repository's client if none runs. Returns the client id, or nil
--- outside heddle repositories.
function M.attach(bufnr)
  return require('heddle.client').attach(bufnr)
end

--- The statusline text for a buffer (default: current): '' outside heddle
--- repos, else prefix .. icon .. state, e.g. 'heddle:ready'. Cached state
--- only: safe to call on every redraw.
function M.statusline(bufnr)
  return status.statusline(bufnr)
end

--- Like statusline(), wrapped in a %#HeddleStatus{Ok,Warn,Error}# group
--- chosen by the server's `health`, for use inside 'statusline'.
function M.statusline_hl(bufnr)
  local text = status.statusline(bufnr)
  if text == '' then
    return ''
  end
  local b = bufnr or vim.api.nvim_get_current_buf()
  local hl = status.highlight(vim.b[b].heddle_root)
  return hl and ('%#' .. hl .. '#' .. text .. '%*') or text
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

--- For clients started elsewhere (nvim-lspconfig, vim.lsp.start): the
--- handlers, an on_attach that marks buffers, and an on_exit that shows
--- 'off' when the server goes away.
M.handlers = require('heddle.client').handlers

function M.on_attach(client, bufnr)
  local dir = require('heddle.client').client_root(client)
  if dir then
    vim.api.nvim_buf_set_var(bufnr, 'heddle_root', dir)
  end
end

function M.on_exit(code, signal, client_id)
  return require('heddle.client').on_exit(code, signal, client_id)
end

return M
