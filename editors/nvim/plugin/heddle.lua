-- User commands of heddle.nvim, and its self-initialisation: when nothing
-- has called require('heddle').setup() by the time Neovim has started, the
-- plugin sets itself up from vim.g.heddle (:h lua-plugin). The modules load
-- on first use.
if vim.g.loaded_heddle then
  return
end
vim.g.loaded_heddle = true

if vim.fn.has('nvim-0.7') ~= 1 then
  vim.api.nvim_err_writeln('heddle.nvim needs Neovim 0.7 or newer')
  return
end

local function cmd(name, fn, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require('heddle.commands')[fn](args.fargs)
  end, opts)
end

cmd('HeddleStatus', 'status', { nargs = 0, desc = 'heddle: daemon status of this repository' })
cmd('HeddleRefresh', 'refresh', { nargs = 0, desc = 'heddle: re-probe the daemon now' })
cmd('HeddleExplain', 'explain', { nargs = 0, desc = 'heddle: every probe step, with timings and the fix' })
cmd('HeddleOps', 'ops', {
  nargs = '*',
  desc = 'heddle: recent operations, newest first',
  complete = function(lead)
    return vim.tbl_filter(function(s)
      return s:sub(1, #lead) == lead
    end, { 'actor=', 'thread=', 'verb=', 'symbol=', 'signal=', 'since=', 'until=', 'checkpoints' })
  end,
})
cmd('HeddleSignals', 'signals', { nargs = '?', desc = 'heddle: signal module fire rates' })
cmd('HeddleHooks', 'hooks', { nargs = 0, desc = 'heddle: registered hooks' })
cmd('HeddleRestart', 'restart', { nargs = 0, desc = "heddle: restart this repository's heddle-ls" })
cmd('HeddleLog', 'log', { nargs = 0, desc = "heddle: open heddle-ls's log" })

-- Loaded at startup (after init.lua, where a plugin manager calls setup())
-- the check waits for VimEnter; loaded later (lazily, by a plugin manager
-- that calls setup() right after sourcing this file) it waits one tick.
local function auto_setup()
  require('heddle').auto_setup()
end
if vim.v.vim_did_enter == 1 then
  vim.schedule(auto_setup)
else
  vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = auto_setup })
end
