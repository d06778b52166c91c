-- :checkhealth heddle. Neovim 0.10+ has vim.health.{start,ok,warn,error,info};
-- 0.8/0.9 have vim.health.report_*; 0.7 has only require('health').report_*
-- (its :checkhealth finds this file as lua/heddle/health.lua and calls check()).
local M = {}

local function reporter()
  local h = vim.health
  if h == nil or (h.ok == nil and h.report_ok == nil) then
    h = require('health')
  end
  return {
    start = h.start or h.report_start,
    ok = h.ok or h.report_ok,
    info = h.info or h.report_info,
    warn = h.warn or h.report_warn,
    error = h.error or h.report_error,
  }
end

local function version_of(cmd)
  local out = vim.fn.system({ cmd[1], 'version' })
  if vim.v.shell_error ~= 0 then
    return nil, vim.trim(out)
  end
  return vim.trim(out)
end

function M.check()
  local r = reporter()
  local config = require('heddle.config')
  local client_mod = require('heddle.client')
  local status = require('heddle.status')

  r.start('heddle-ls server')
  local cmd = config.options.cmd or {}
  if vim.fn.has('nvim-0.7') ~= 1 then
    r.error('Neovim 0.7 or newer is required')
  end
  if not cmd[1] or vim.fn.executable(cmd[1]) ~= 1 then
    r.error(('server command %q not found'):format(tostring(cmd[1])), {
      'Build it with `make build` and put bin/ on $PATH, or set `cmd` in require("heddle").setup{}',
    })
  else
    local path = vim.fn.exepath(cmd[1])
    local version, err = version_of(cmd)
    if version == '' then
      r.warn(('%s found but `%s version` printed nothing'):format(path, cmd[1]))
    elseif version then
      r.ok(('%s (%s)'):format(version, path))
    else
      r.warn(('%s found but `%s version` failed: %s'):format(path, cmd[1], err or '?'))
    end
  end
  r.info('notifications: ' .. tostring(config.options.notifications))

  r.start('heddle repositories')
  local roots = status.roots()
  if #roots == 0 then
    r.info('no heddle repository attached: open a file inside one (a directory with .heddle/)')
    return
  end
  for _, dir in ipairs(roots) do
    local s = status.get(dir)
    local state = status.state(dir)
    local c = client_mod.get(dir)
    local line = ('%s: %s'):format(dir, state)
    if s and s.message and s.message ~= '' then
      line = line .. ' - ' .. s.message
    end
    local advice = {}
    if s and s.hint and s.hint ~= '' then
      table.insert(advice, s.hint)
    end
    if state == 'ready' then
      r.ok(line)
    elseif state == 'off' or (not c and state ~= nil) then
      r.error(line .. ' (heddle-ls is not running for this repository)', { 'Run :HeddleRefresh to start it again' })
    elseif status.severity(state) == 'error' then
      r.error(line, advice)
    else
      r.warn(line, advice)
    end
    if c then
      local ss = status.server_status(c.id)
      if ss then
        r.info(('server: %s%s'):format(ss.health or '?', ss.message and ss.message ~= '' and (' - ' .. ss.message) or ''))
      end
    end
  end
end

return M
