-- User commands of heddle.nvim. Only the command names are defined here;
-- the modules load on first use. Clients start after require('heddle').setup().
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
