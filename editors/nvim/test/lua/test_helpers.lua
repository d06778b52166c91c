-- Test helpers for the headless suites: named cases, waits on conditions
-- with a deadline, and an exit status that reflects every failure. A Lua
-- error in a `-c luafile` script leaves headless Neovim hanging, so every
-- case runs under pcall and the suite always ends in :cquit or :qall.
local M = { passed = 0, failed = 0 }

local function log(...)
  io.stderr:write(table.concat(vim.tbl_map(tostring, { ... }), ' ') .. '\n')
end
M.log = log

--- Runs one named case; an error fails it and the suite goes on.
function M.case(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    M.passed = M.passed + 1
    log('ok   ' .. name)
  else
    M.failed = M.failed + 1
    log('FAIL ' .. name .. ': ' .. tostring(err))
  end
  return ok
end

--- Waits until cond() is truthy; errors with msg() (or msg) on timeout.
function M.wait(timeout_ms, cond, msg)
  if not vim.wait(timeout_ms, cond, 1) then
    error((type(msg) == 'function' and msg() or msg or 'condition') .. ' (after ' .. timeout_ms .. ' ms)', 2)
  end
end

function M.eq(want, got, what)
  if not vim.deep_equal(want, got) then
    error(('%s: want %s, got %s'):format(what or 'value', vim.inspect(want), vim.inspect(got)), 2)
  end
end

function M.contains(haystack, needle, what)
  if type(haystack) ~= 'string' or not haystack:find(needle, 1, true) then
    error(('%s: %s does not contain %s'):format(what or 'text', vim.inspect(haystack), vim.inspect(needle)), 2)
  end
end

--- The rendered statusline of the current window, spaces kept.
function M.statusline()
  return vim.api.nvim_eval_statusline(vim.o.statusline, { fillchar = ' ' }).str
end

--- Captures vim.notify calls into a list of {msg, level, opts}.
function M.capture_notify()
  local notes = {}
  vim.notify = function(msg, level, opts)
    table.insert(notes, { msg = msg, level = level, opts = opts })
  end
  return notes
end

--- The current buffer's text after :checkhealth, with 0.10+'s markers
--- ('- ✅ OK x') spelt as 0.7's ('- OK: x'), so one assertion fits both.
function M.health_text()
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  for _, pair in ipairs({ { '✅ OK ', 'OK: ' }, { '⚠️ WARNING ', 'WARNING: ' }, { '❌ ERROR ', 'ERROR: ' } }) do
    text = text:gsub(vim.pesc(pair[1]), pair[2])
  end
  -- 0.10+ writes INFO lines without a marker: '- x'; 0.7: '- INFO: x'.
  text = text:gsub('%- INFO: ', '- ')
  return text
end

--- Runs :checkhealth heddle and returns health_text(), back in the tab page
--- it started from (0.7 opens a tab; 0.11 reuses an empty buffer's window).
function M.checkhealth()
  local tab, count = vim.api.nvim_get_current_tabpage(), #vim.api.nvim_list_tabpages()
  vim.cmd('tab split')
  vim.cmd('checkhealth heddle')
  local text = M.health_text()
  while #vim.api.nvim_list_tabpages() > count do
    vim.cmd('tabclose')
  end
  vim.api.nvim_set_current_tabpage(tab)
  return text
end

M.has_08 = vim.fn.has('nvim-0.8') == 1
M.has_011 = vim.fn.has('nvim-0.11') == 1

M.TIMEOUT = 10000
local uv = vim.uv or vim.loop

-- repo -> pid of the heddle-sim started for it.
M.sims = {}

--- Starts heddle-sim ($HEDDLE_SIM) for a repo and waits for its socket;
--- returns its pid.
function M.start_sim(repo)
  local job = vim.fn.jobstart({ assert(os.getenv('HEDDLE_SIM')), '--repo', repo, '--log-level', 'warn' })
  assert(job > 0, 'jobstart heddle-sim failed: ' .. job)
  local pid = vim.fn.jobpid(job)
  M.sims[repo] = pid
  M.wait(M.TIMEOUT, function()
    return uv.fs_stat(repo .. '/.heddle/sockets/grpc.sock') ~= nil
  end, 'heddle-sim never made its socket in ' .. repo)
  return pid
end

--- SIGINT: heddle-sim stops cleanly and removes its pidfile and socket.
function M.stop_sim(repo)
  local pid = assert(M.sims[repo], 'no sim for ' .. repo)
  uv.kill(pid, 'sigint')
  M.sims[repo] = nil
  return pid
end

function M.stop_all_sims()
  for repo in pairs(M.sims) do
    M.stop_sim(repo)
  end
end

function M.buf_lines(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

--- The first buffer whose name starts with `prefix`, or nil.
function M.find_buf(prefix)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):sub(1, #prefix) == prefix then
      return b
    end
  end
end

--- The heddle-ls processes this Neovim runs (its children named heddle-ls),
--- sorted: 0.11's client has no rpc.pid, /proc has the answer everywhere.
function M.server_pids()
  local me, out = vim.fn.getpid(), {}
  for _, pid in ipairs(vim.fn.readdir('/proc')) do
    local stat = tonumber(pid) and io.open('/proc/' .. pid .. '/stat')
    if stat then
      local line = stat:read('*l') or ''
      stat:close()
      local comm, ppid = line:match('^%d+ %((.-)%) %S+ (%d+)')
      if comm == 'heddle-ls' and tonumber(ppid) == me then
        table.insert(out, tonumber(pid))
      end
    end
  end
  table.sort(out)
  return out
end

--- Waits until the current window's statusline contains `text`.
function M.wait_statusline(text)
  M.wait(M.TIMEOUT, function()
    return M.statusline():find(text, 1, true)
  end, function()
    return 'statusline: ' .. M.statusline() .. ' (want ' .. text .. ')'
  end)
end

--- Ends the suite: prints the tally and exits non-zero on any failure.
function M.finish(extra)
  log(('%d passed, %d failed%s'):format(M.passed, M.failed, extra or ''))
  if M.failed > 0 then
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

--- Runs a suite body under pcall, then finish().
function M.run(body)
  local ok, err = xpcall(body, debug.traceback)
  if not ok then
    M.failed = M.failed + 1
    log('FAIL suite aborted: ' .. tostring(err))
  end
  M.finish()
end

return M
