-- Headless end-to-end test of clients of heddle-ls that the plugin did not
-- start: one started the way nvim-lspconfig starts it (name `heddle_ls`,
-- the plugin's handlers), one under another name without them (known by
-- serverInfo, 0.8+), and 0.11's vim.lsp.enable('heddle_ls') with the
-- shipped lsp/heddle_ls.lua. In each case the plugin uses that client and
-- never starts a second server for its root. Also: log_file.
-- Env: HEDDLE_LS, HEDDLE_SIM, REPO_A (an empty dir with a short path; the
-- repositories are made below it).
local t = require('test_helpers')

local LS = assert(os.getenv('HEDDLE_LS'))
local BASE = assert(os.getenv('REPO_A'))

local function repo(name)
  local dir = BASE .. '/' .. name
  vim.fn.mkdir(dir, 'p')
  t.start_sim(dir)
  return dir
end

local function edit(path)
  vim.cmd('edit ' .. path)
end

-- Starts a client by hand, as nvim-lspconfig does: vim.lsp.start on
-- 0.8+ (it attaches the buffer), start_client + buf_attach_client on 0.7.
local function start_by_hand(cfg)
  if vim.lsp.start then
    return assert(vim.lsp.start(cfg), 'vim.lsp.start failed')
  end
  local id = assert(vim.lsp.start_client(cfg), 'start_client failed')
  vim.lsp.buf_attach_client(0, id)
  return id
end

-- :HeddleOps 2 in the current buffer fills heddle://ops<root> with 2 lines.
local function ops_2(root, notes)
  vim.cmd('HeddleOps 2')
  local b
  t.wait(t.TIMEOUT, function()
    b = t.find_buf('heddle://ops' .. root)
    return b and #t.buf_lines(b) == 2
  end, function()
    return 'ops buffer: ' .. vim.inspect(b and t.buf_lines(b)) .. '; notes: ' .. vim.inspect(notes)
  end)
  vim.cmd('close')
end

t.run(function()
  local notes = t.capture_notify()
  vim.o.laststatus = 2
  vim.o.statusline = '%f %{v:lua.require("heddle").statusline()}'
  local heddle = require('heddle')
  local client_mod = require('heddle.client')

  local L = repo('l')
  t.case("a client named heddle_ls (nvim-lspconfig's way) is the plugin's client for its root", function()
    edit(L .. '/a.txt')
    local id = start_by_hand({
      name = 'heddle_ls',
      cmd = { LS, '--log-level', 'warn' },
      root_dir = L,
      handlers = heddle.handlers,
      on_attach = heddle.on_attach,
      on_exit = heddle.on_exit,
      capabilities = { experimental = { serverStatusNotification = true } },
    })
    t.wait_statusline('heddle:ready')
    t.eq(1, #t.server_pids(), 'one server')
    -- The plugin now starts with autostart: the buffers are marked, no second server.
    heddle.setup({ cmd = { LS } })
    edit(L .. '/b.txt')
    t.eq(L, vim.b.heddle_root, 'b:heddle_root')
    t.eq(id, client_mod.get(L).id, 'the plugin uses that client')
    local n0 = #notes
    vim.cmd('HeddleStatus')
    t.wait(t.TIMEOUT, function()
      return #notes > n0
    end, 'no answer to :HeddleStatus')
    t.contains(notes[#notes].msg, L .. ': ready', ':HeddleStatus')
    ops_2(L, notes)
    t.eq(1, #t.server_pids(), 'still one server')
    local text = t.checkhealth()
    t.contains(text, L .. ': ready', 'checkhealth sees it')
    assert(not text:find('not running', 1, true), 'checkhealth says not running: ' .. text)
  end)

  t.case('its on_exit (require("heddle").on_exit) turns the statusline to heddle:off', function()
    edit(L .. '/a.txt')
    vim.loop.kill(t.server_pids()[1], 'sigkill')
    t.wait_statusline('heddle:off')
  end)

  if t.has_08 then
    local S = repo('s')
    t.case('a client under another name, without the plugin\'s handlers, is known by serverInfo', function()
      -- Started before the plugin sees a buffer of S (from a scratch buffer).
      vim.cmd('enew')
      local pids = #t.server_pids()
      local id = start_by_hand({ name = 'my-heddle', cmd = { LS, '--log-level', 'warn' }, root_dir = S })
      t.wait(t.TIMEOUT, function()
        local c = client_mod.get(S)
        return c and c.id == id
      end, 'the plugin never knew the client')
      -- The global handlers (or LspAttach's one question) feed the statusline.
      edit(S .. '/a.txt')
      t.wait_statusline('heddle:ready')
      t.eq(id, client_mod.get(S).id, 'the plugin uses that client')
      edit(S .. '/b.txt')
      ops_2(S, notes)
      t.eq(pids + 1, #t.server_pids(), 'no second server')
    end)
  end

  if t.has_011 then
    local E = repo('e')
    t.case("0.11: vim.lsp.enable('heddle_ls') with the shipped lsp/heddle_ls.lua; the plugin starts no server", function()
      -- vim.lsp.enable starts clients on FileType; -u NONE skipped detection.
      vim.cmd('filetype on')
      vim.lsp.config('heddle_ls', { cmd = { LS, '--log-level', 'warn' } })
      vim.lsp.enable('heddle_ls')
      local pids = #t.server_pids()
      edit(E .. '/notes.txt')
      t.wait_statusline('heddle:ready')
      local c = client_mod.get(E)
      t.eq('heddle_ls', c.name, 'started by vim.lsp.enable')
      t.eq(pids + 1, #t.server_pids(), 'one server for E')
      edit(E .. '/other.txt')
      ops_2(E, notes)
      t.eq(pids + 1, #t.server_pids(), 'still one server for E')
      local text = t.checkhealth()
      t.contains(text, E .. ': ready', 'checkhealth')
      t.contains(text, 'started by vim.lsp.enable', 'checkhealth says who starts it')
    end)

    t.case('0.11: :HeddleRestart restarts a vim.lsp.enable client with its own config', function()
      edit(E .. '/notes.txt')
      local old = client_mod.get(E)
      local pids = #t.server_pids()
      vim.cmd('HeddleRestart')
      local new
      t.wait(t.TIMEOUT, function()
        new = client_mod.get(E)
        return new and new.id ~= old.id and t.statusline():find('heddle:ready', 1, true)
      end, function()
        return 'statusline after restart: ' .. t.statusline()
      end)
      t.eq('heddle_ls', new.name, 'same config')
      t.wait(t.TIMEOUT, function()
        return #t.server_pids() == pids
      end, 'the old server did not end')
    end)
    vim.lsp.enable('heddle_ls', false)
  end

  t.case("log_file: the server logs there, not to lsp.log, and :HeddleLog opens it", function()
    local log = BASE .. '/heddle-ls.log'
    heddle.setup({ cmd = { LS }, log_level = 'info', log_file = log })
    local F = repo('f')
    edit(F .. '/a.txt')
    t.wait_statusline('heddle:ready')
    t.wait(t.TIMEOUT, function()
      return vim.fn.filereadable(log) == 1 and table.concat(vim.fn.readfile(log), '\n'):find('level=INFO', 1, true)
    end, 'no info line in ' .. log)
    local lsp_log = vim.lsp.get_log_path()
    if vim.fn.filereadable(lsp_log) == 1 then
      assert(not table.concat(vim.fn.readfile(lsp_log), '\n'):find('level=INFO', 1, true), 'info lines in lsp.log')
    end
    vim.cmd('HeddleLog')
    t.eq(log, vim.api.nvim_buf_get_name(0), ':HeddleLog buffer')
    t.eq(vim.fn.line('$'), vim.fn.line('.'), 'at the end')
    vim.cmd('close')
  end)

  t.stop_all_sims()
  client_mod.stop()
end)
