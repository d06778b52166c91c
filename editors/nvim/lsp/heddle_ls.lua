-- heddle-ls for Neovim 0.11's vim.lsp.config / vim.lsp.enable (:h lsp-config):
--
--   vim.lsp.enable('heddle_ls')
--   vim.lsp.config('heddle_ls', { cmd = { '/path/to/heddle-ls', '--log-level', 'warn' } })  -- optional
--
-- It starts one client per heddle repository, for buffers with a file
-- type (vim.lsp.enable starts clients on FileType), and attaches them:
-- that is how vim.lsp.enable works. The plugin's statusline, :Heddle…
-- commands and :checkhealth heddle know these clients, and the plugin then
-- starts no server of its own. Read when the config is first resolved
-- (the first FileType, possibly before VimEnter: the plugin initialises
-- from vim.g.heddle now if setup() has not run): cmd and settings come from
-- the plugin's options; vim.lsp.config('heddle_ls', …) overrides them.
local heddle = require('heddle')
local config = require('heddle.config')
heddle.auto_setup()

local settings = config.server_settings()

return {
  cmd = config.server_cmd(),
  -- Only inside a heddle repository, with the plugin's stricter discovery
  -- (a .heddle/ holding objects/, or a worktree's objectstore pointer).
  root_dir = function(bufnr, on_dir)
    local dir = require('heddle.root').for_buf(bufnr)
    if dir then
      on_dir(dir)
    end
  end,
  init_options = { heddle = settings },
  settings = { heddle = settings },
  capabilities = { experimental = { serverStatusNotification = true } },
  handlers = heddle.handlers,
  on_attach = heddle.on_attach,
  on_exit = heddle.on_exit,
}
