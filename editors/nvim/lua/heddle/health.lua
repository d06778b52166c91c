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

local function how_set(config)
  if config.source == 'setup' then
    return 'options from setup()'
  elseif config.source == 'g:heddle' then
    return 'setup() not called: options from vim.g.heddle' .. (type(vim.g.heddle) == 'table' and '' or ' (unset: defaults)')
  end
  return 'setup() not called and not initialised yet (it happens at VimEnter)'
end

local function server_section(r, config, client_mod)
  r.start('heddle-ls server')
  local cmd = config.options.cmd or {}
  if vim.fn.has('nvim-0.7') ~= 1 then
    r.error('Neovim 0.7 or newer is required')
  end
  if not cmd[1] or vim.fn.executable(cmd[1]) ~= 1 then
    r.error(('server command %q not found'):format(tostring(cmd[1])), {
      'Build it with `make build` and put bin/ on $PATH, or set `cmd` in require("heddle").setup{} or vim.g.heddle',
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
  r.info(how_set(config))
  r.info(('command: %s'):format(table.concat(config.server_cmd(), ' ')))
  r.info('notifications: ' .. tostring(config.options.notifications))
  if client_mod.started_elsewhere() then
    r.info('heddle-ls is started by vim.lsp.enable or nvim-lspconfig (`heddle_ls`); the plugin starts none itself')
  end
end

-- What answers queries and with which heddle, from the second edition of
-- the status (absent from older servers: nothing to say then).
local function sources(r, present, s)
  if s.queries then
    local cli = 'heddle CLI: none found'
    if present(s.heddle) and type(s.heddle) == 'table' then
      cli = ('heddle %s (%s)'):format(tostring(s.heddle.version or '?'), tostring(s.heddle.path or '?'))
    end
    r.info(('queries: %s; %s'):format(s.queries, cli))
  end
  if present(s.mount) and type(s.mount) == 'table' then
    local line = require('heddle.commands').format_mount(s.mount)
    if s.mount.state == 'running' then
      r.info(line)
    else
      r.warn(line)
    end
  end
end

function M.check()
  local r = reporter()
  local config = require('heddle.config')
  local client_mod = require('heddle.client')
  local status = require('heddle.status')

  server_section(r, config, client_mod)

  r.start('heddle repositories')
  -- Roots the store knows, and those of clients that have not spoken.
  local roots, seen = status.roots(), {}
  for _, dir in ipairs(roots) do
    seen[dir] = true
  end
  for _, e in ipairs(client_mod.all()) do
    if not seen[e.root] then
      table.insert(roots, e.root)
    end
  end
  table.sort(roots)
  if #roots == 0 then
    r.info('no heddle repository attached: open a file inside one (a directory with .heddle/)')
    return
  end
  for _, dir in ipairs(roots) do
    local s = status.get(dir)
    local state = status.state(dir) or 'unknown'
    local c = client_mod.get(dir)
    local line = ('%s: %s'):format(dir, state)
    if s and s.message and s.message ~= '' then
      line = line .. ' - ' .. s.message
    end
    local advice = {}
    if s and s.hint and s.hint ~= '' then
      table.insert(advice, s.hint)
    end
    local sev = status.severity(dir)
    if not c then
      r.error(line .. ' (heddle-ls is not running for this repository)', { 'Run :HeddleRestart to start it again' })
    elseif not s then
      r.info(line .. (' (client %d (%s) has not reported yet)'):format(c.id, c.name))
    elseif sev == 'ok' then
      r.ok(line)
    elseif sev == 'error' then
      r.error(line, advice)
    elseif sev == 'warn' then
      r.warn(line, advice)
    else
      r.info(line .. ' (a server without `health`: update heddle-ls)', advice)
    end
    if s then
      sources(r, status.present, s)
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
