-- Unit tests that need no server: root discovery, option handling,
-- statusline formatting and colours (by the server's `health`), the mount
-- daemon, events, :HeddleOps argument parsing and formatting, the
-- notification policy, self-initialisation, and :checkhealth.
-- Run: TMPD=<dir> nvim --headless -n -i NONE -u NONE --cmd 'set rtp^=editors/nvim' -c 'luafile editors/nvim/test/unit.lua'
local t = require('test_helpers')

t.run(function()
  local tmp = assert(os.getenv('TMPD'), 'TMPD not set')
  local root = require('heddle.root')
  local status = require('heddle.status')
  local config = require('heddle.config')

  t.case('root: a .heddle with objects/ is a root; subdirs find it; a bare .heddle is not', function()
    vim.fn.mkdir(tmp .. '/main/.heddle/objects', 'p')
    vim.fn.mkdir(tmp .. '/main/src/deep', 'p')
    vim.fn.mkdir(tmp .. '/bare/.heddle', 'p')
    t.eq(tmp .. '/main', root.for_dir(tmp .. '/main/src/deep'), 'deep dir')
    t.eq(tmp .. '/main', root.for_dir(tmp .. '/main'), 'root itself')
    t.eq(nil, root.for_dir(tmp .. '/bare'), 'bare .heddle')
  end)

  t.case('root: a worktree (objectstore pointer file) is its own root', function()
    vim.fn.mkdir(tmp .. '/main/wt/.heddle', 'p')
    vim.fn.writefile({ 'objectstore: ' .. tmp .. '/main/.heddle' }, tmp .. '/main/wt/.heddle/objectstore')
    root.clear()
    t.eq(tmp .. '/main/wt', root.for_dir(tmp .. '/main/wt'), 'worktree')
  end)

  t.case('root: answers are cached per directory until clear()', function()
    vim.fn.mkdir(tmp .. '/later/sub', 'p')
    root.clear()
    t.eq(nil, root.for_dir(tmp .. '/later/sub'), 'before')
    vim.fn.mkdir(tmp .. '/later/.heddle/objects', 'p')
    t.eq(nil, root.for_dir(tmp .. '/later/sub'), 'cached miss')
    root.clear()
    t.eq(tmp .. '/later', root.for_dir(tmp .. '/later/sub'), 'after clear')
  end)

  t.case('root: buffers without a file or with a URL name have no root', function()
    local b = vim.api.nvim_create_buf(true, true)
    t.eq(nil, root.for_buf(b), 'scratch')
    vim.cmd('edit ' .. tmp .. '/main/src/deep/x.txt')
    t.eq(tmp .. '/main', root.for_buf(0), 'file buffer')
  end)

  t.case('config: notifications is validated, cmd replaces the default list', function()
    local ok = pcall(config.set, { notifications = 'loud' })
    t.eq(false, ok, 'bad notifications rejected')
    t.eq(false, (pcall(config.set, { cmd = 'heddle-ls' })), 'cmd must be a list')
    config.set({ cmd = { '/x/heddle-ls', '--flag' }, settings = { queryTimeoutMs = 500 } })
    t.eq({ '/x/heddle-ls', '--flag' }, config.options.cmd, 'cmd')
    t.eq({ queryTimeoutMs = 500, notifications = 'errors' }, config.server_settings(), 'server settings')
    config.set({})
  end)

  t.case('config: unknown option keys are named in one warning; known ones are not', function()
    local notes = t.capture_notify()
    config.set({ notification = 'off', statusline = { prefx = 'h:' }, open = 'tab' })
    t.eq(1, #notes, 'one warning: ' .. vim.inspect(notes))
    t.eq(vim.log.levels.WARN, notes[1].level, 'level')
    t.contains(notes[1].msg, 'unknown option notification, statusline.prefx', 'names the keys')
    t.contains(notes[1].msg, 'notifications', 'lists the options')
    t.eq('heddle', notes[1].opts.title, 'title')
    config.set({ cmd = { 'x' }, notifications = 'off', settings = { anything = 1 }, statusline = { icons = { ready = '+' } } })
    t.eq(1, #notes, 'no warning for known keys (settings and icons are free-form)')
    config.set({})
  end)

  t.case('config: the server starts at --log-level warn unless cmd names a level; log_file adds --log-file', function()
    config.set({ cmd = { '/x/heddle-ls' } })
    t.eq({ '/x/heddle-ls', '--log-level', 'warn' }, config.server_cmd(), 'default')
    t.eq({ '/x/heddle-ls' }, config.options.cmd, 'cmd itself unchanged')
    config.set({ cmd = { '/x/heddle-ls', '--log-level=debug' } })
    t.eq({ '/x/heddle-ls', '--log-level=debug' }, config.server_cmd(), 'cmd names a level')
    config.set({ cmd = { '/x/heddle-ls' }, log_level = 'error', log_file = '/tmp/h.log' })
    t.eq({ '/x/heddle-ls', '--log-level', 'error', '--log-file', '/tmp/h.log' }, config.server_cmd(), 'level and file')
    t.eq(false, (pcall(config.set, { log_level = 'loud' })), 'bad level rejected')
    config.set({})
  end)

  t.case('statusline: empty outside repos, state word from the store, icons configurable', function()
    local b = vim.api.nvim_create_buf(true, true)
    t.eq('', status.statusline(b), 'no root')
    vim.api.nvim_buf_set_var(b, 'heddle_root', '/r')
    t.eq('', status.statusline(b), 'root without status')
    status.set_lifecycle('/r', 'connecting')
    t.eq('heddle:connecting', status.statusline(b), 'connecting')
    local fired = 0
    vim.api.nvim_create_autocmd('User', { pattern = 'HeddleStatus', callback = function() fired = fired + 1 end })
    status.update('/r', { state = 'ready', message = 'm' })
    t.eq('heddle:ready', status.statusline(b), 'ready')
    t.eq(1, fired, 'User HeddleStatus fired once')
    status.update('/r', { state = 'ready', message = 'm' })
    t.eq(1, fired, 'no event for an unchanged status')
    config.set({ statusline = { prefix = '', icons = { ready = 'OK ' } } })
    t.eq('OK ready', status.statusline(b), 'icon')
    config.set({ statusline = { prefix = 'H ', icons = { ready = '*' }, show_state = false } })
    t.eq('H *', status.statusline(b), 'icon only')
    config.set({})
  end)

  t.case('lualine component: text and colour from the store, hidden outside repos', function()
    local comp = require('heddle.lualine')
    local b = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_set_current_buf(b)
    t.eq(false, comp.cond(), 'hidden without a root')
    vim.api.nvim_buf_set_var(b, 'heddle_root', '/lualine')
    status.update('/lualine', { state = 'stale', message = 'm', health = 'warning' })
    t.eq(true, comp.cond(), 'shown in a repo')
    t.eq('heddle:stale', comp[1](), 'text')
    t.eq('HeddleStatusWarn', comp.color(), 'colour')
    status.update('/lualine', { state = 'ready', message = 'm', health = 'ok' })
    t.eq('HeddleStatusOk', comp.color(), 'colour ready')
    status.update('/lualine', { state = 'ready', message = 'm' })
    t.eq(nil, comp.color(), 'a status without health (an older server) has no colour')
  end)

  t.case("colours come from the server's health, not the state", function()
    local heddle = require('heddle')
    local b = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_set_current_buf(b)
    vim.api.nvim_buf_set_var(b, 'heddle_root', '/health')
    -- A stopped agent daemon while the heddle CLI answers queries is fine.
    status.update('/health', { state = 'stopped', reason = 'no-agent-daemon', health = 'ok' })
    t.eq('ok', status.severity('/health'), 'stopped but ok')
    t.eq('%#HeddleStatusOk#heddle:stopped%*', heddle.statusline_hl(), 'statusline_hl ok')
    status.update('/health', { state = 'stopped', reason = 'no-pidfile', health = 'warning' })
    t.eq('%#HeddleStatusWarn#heddle:stopped%*', heddle.statusline_hl(), 'statusline_hl warning')
    status.update('/health', { state = 'ready', health = 'error' })
    t.eq('error', status.severity('/health'), 'the verdict wins over the state word')
    status.update('/health', { state = 'denied' })
    t.eq('none', status.severity('/health'), 'no health: neutral')
    t.eq('heddle:denied', heddle.statusline_hl(), 'statusline_hl neutral: plain text')
    status.set_lifecycle('/health', 'connecting')
    t.eq('none', status.severity('/health'), 'connecting')
    status.set_lifecycle('/health', 'off')
    t.eq('error', status.severity('/health'), 'off: no server')
  end)

  t.case('statusline: the mount daemon follows when the status has one', function()
    local b = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_var(b, 'heddle_root', '/mount')
    status.update('/mount', { state = 'stopped', health = 'ok', mount = vim.NIL })
    t.eq('heddle:stopped', status.statusline(b), 'mount: null')
    status.update('/mount', { state = 'stopped', health = 'ok',
      mount = { state = 'running', reason = 'endpoint-live', pid = 812, protocol = 3, mounts = 2 } })
    t.eq('heddle:stopped mount:running', status.statusline(b), 'running')
    status.update('/mount', { state = 'ready', health = 'warning', mount = { state = 'stale', reason = 'pid-dead' } })
    t.eq('heddle:ready mount:stale', status.statusline(b), 'stale')
  end)

  t.case('User HeddleStatus carries {root, status} (0.8+) and sets g:heddle_status_root', function()
    local got
    local id = vim.api.nvim_create_autocmd('User', { pattern = 'HeddleStatus', callback = function(args) got = args end })
    local st = { state = 'ready', health = 'ok', message = 'event' }
    status.update('/event', st)
    vim.api.nvim_del_autocmd(id)
    t.eq('/event', vim.g.heddle_status_root, 'g:heddle_status_root')
    if t.has_08 then
      t.eq('/event', got.data.root, 'data.root')
      t.eq(st, got.data.status, 'data.status')
    end
  end)

  t.case('heddle/operationsChanged fires User HeddleOperations with {root, headId}', function()
    local got
    local id = vim.api.nvim_create_autocmd('User', { pattern = 'HeddleOperations', callback = function(args) got = args end })
    require('heddle.client').handlers['heddle/operationsChanged'](nil, { folder = vim.uri_from_fname('/opsroot'), headId = 7 }, nil)
    vim.api.nvim_del_autocmd(id)
    assert(got, 'no event')
    t.eq('/opsroot', vim.g.heddle_operations_root, 'g:heddle_operations_root')
    if t.has_08 then
      t.eq({ root = '/opsroot', folder = vim.uri_from_fname('/opsroot'), headId = 7 }, got.data, 'data')
    end
  end)

  t.case('HeddleStatusOk links to DiagnosticOk where it exists (0.9+), else DiagnosticInfo', function()
    require('heddle').setup({ autostart = false })
    local want = vim.fn.hlexists('DiagnosticOk') == 1 and 'DiagnosticOk' or 'DiagnosticInfo'
    t.eq(want, vim.fn.synIDattr(vim.fn.synIDtrans(vim.fn.hlID('HeddleStatusOk')), 'name'), 'HeddleStatusOk')
    if t.has_011 then
      t.eq('DiagnosticOk', want, 'DiagnosticOk on 0.11')
    end
    t.eq('DiagnosticWarn', vim.fn.synIDattr(vim.fn.synIDtrans(vim.fn.hlID('HeddleStatusWarn')), 'name'), 'warn')
  end)

  t.case('without setup(), auto_setup() takes vim.g.heddle; after setup() it changes nothing', function()
    config.source = nil
    vim.g.heddle = { notifications = 'off', autostart = false }
    require('heddle').auto_setup()
    t.eq('g:heddle', config.source, 'source')
    t.eq('off', config.options.notifications, 'from vim.g.heddle')
    require('heddle').setup({ autostart = false, notifications = 'transitions' })
    require('heddle').auto_setup()
    t.eq('transitions', config.options.notifications, 'setup() wins')
    t.eq('setup', config.source, 'source after setup')
    vim.g.heddle = nil
    config.set({})
  end)

  t.case(':HeddleStatus lines: mount daemon and operation records', function()
    local c = require('heddle.commands')
    t.eq('/r: stopped - no agent daemon; mount daemon running (pid 812), 2 mounts', c.format_status({
      root = '/r', state = 'stopped', message = 'no agent daemon', hint = '',
      mount = { state = 'running', message = 'mount daemon running (pid 812), 2 mounts' } }), 'with the server message')
    t.eq('/r: ready; mount daemon stale', c.format_status({ root = '/r', state = 'ready', mount = { state = 'stale' } }), 'without')
    t.eq('/r: ready', c.format_status({ root = '/r', state = 'ready', mount = vim.NIL }), 'mount null')
    local rec = c.format_op({ seq = 3, verb = 'snapshot', symbols = { 'a', 'b' }, stateRef = 'hs-x', timestampSecs = 0 })
    t.eq({ 'seq: 3', 'stateRef: hs-x', 'symbols: a b', 'timestampSecs: 0 (' .. os.date('%Y-%m-%d %H:%M:%S', 0) .. ')', 'verb: snapshot' },
      rec, 'record')
  end)

  t.case(':checkhealth heddle: queries, the heddle CLI and the mount daemon; setup() not called', function()
    config.source = 'g:heddle'
    status.update('/chk', { root = '/chk', state = 'stopped', reason = 'no-agent-daemon', health = 'ok', queries = 'cli',
      message = 'heddle 0.13.0 has no agent daemon', heddle = { path = '/usr/local/bin/heddle', version = '0.13.0' },
      mount = { state = 'stale', reason = 'pid-dead', message = 'mount daemon pid 812 is gone' } })
    local text = t.checkhealth()
    t.contains(text, 'setup() not called: options from vim.g.heddle', 'setup() not called')
    t.contains(text, '--log-level warn', 'the command')
    t.contains(text, '- queries: cli; heddle 0.13.0 (/usr/local/bin/heddle)', 'queries and version')
    t.contains(text, 'WARNING: mount daemon pid 812 is gone', 'stale mount daemon')
    status.update('/chk', { root = '/chk', state = 'stopped', health = 'ok', queries = 'none', heddle = vim.NIL,
      mount = { state = 'running', message = 'mount daemon running (pid 9), 1 mounts' } })
    text = t.checkhealth()
    t.contains(text, '- queries: none; heddle CLI: none found', 'no CLI')
    t.contains(text, '- mount daemon running (pid 9), 1 mounts', 'running mount daemon: info')
    status.set_lifecycle('/chk', 'off')
    config.set({})
  end)

  t.case(':HeddleOps arguments: limit, filters, verb lists, errors', function()
    local c = require('heddle.commands')
    t.eq({ limit = 5, actor = 'ada@example.com', thread = 'main', verbs = { 'snapshot', 'fork' } },
      c.parse_ops_args({ '5', 'actor=ada@example.com', 'thread=main', 'verb=snapshot,fork' }), 'parsed')
    t.eq({ includeCheckpoints = true, sinceSecs = 10 }, c.parse_ops_args({ 'checkpoints', 'since=10' }), 'flags')
    t.eq(false, (pcall(c.parse_ops_args, { 'colour=red' })), 'unknown key rejected')
    t.eq(false, (pcall(c.parse_ops_args, { 'since=yesterday' })), 'non-numeric since rejected')
  end)

  t.case(':HeddleOps formatting: one aligned line per hit, seq first', function()
    local lines = require('heddle.commands').format_ops({
      { seq = 120, timestampSecs = 0, verb = 'fork', actorEmail = 'a@x', thread = 'main', symbols = { 's1', 's2' } },
      { seq = 9, timestampSecs = 0, verb = 'snapshot', actorEmail = 'bb@x', thread = 'fix/login', symbols = {} },
    })
    t.eq(2, #lines, 'line count')
    assert(lines[1]:match('^#120%s+%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%s+fork%s+a@x%s+main%s+s1 s2$'), lines[1])
    assert(lines[2]:match('^#9 '), lines[2])
    t.eq(lines[1]:find('fork', 1, true), lines[2]:find('snapshot', 1, true), 'verb column aligned')
  end)

  t.case("showMessage: shown through vim.notify, dropped when notifications='off'", function()
    local notes = t.capture_notify()
    local h = require('heddle.client').handlers['window/showMessage']
    h(nil, { type = 1, message = 'daemon stopped' }, {})
    t.eq(1, #notes, 'shown')
    t.eq('heddle: daemon stopped', notes[1].msg, 'message')
    t.eq('heddle', notes[1].opts.title, 'title')
    t.eq(vim.log.levels.ERROR, notes[1].level, 'level')
    h(nil, { type = 2, message = 'heddle (repo): no daemon is running [was ready]' }, {})
    t.eq('heddle (repo): no daemon is running [was ready]', notes[2].msg, 'no double prefix')
    t.eq(vim.log.levels.WARN, notes[2].level, 'warning level')
    config.set({ notifications = 'off' })
    h(nil, { type = 1, message = 'again' }, {})
    t.eq(2, #notes, 'dropped when off')
    config.set({})
  end)

  t.case(':help heddle: helptags builds without duplicate tags and every command is documented', function()
    local plugin = vim.fn.fnamemodify(vim.api.nvim_get_runtime_file('lua/heddle/init.lua', false)[1], ':h:h:h')
    vim.fn.mkdir(tmp .. '/help/doc', 'p')
    vim.fn.writefile(vim.fn.readfile(plugin .. '/doc/heddle.txt'), tmp .. '/help/doc/heddle.txt')
    vim.cmd('helptags ' .. tmp .. '/help/doc')
    vim.opt.rtp:append(tmp .. '/help')
    for _, tag in ipairs({ 'heddle', 'heddle-setup', 'heddle.statusline()', ':HeddleOps', ':HeddleStatus',
      ':HeddleRefresh', ':HeddleExplain', ':HeddleSignals', ':HeddleHooks', 'heddle-lspconfig', 'heddle-lualine',
      ':HeddleRestart', ':HeddleLog', 'heddle-vim.lsp.enable', 'User_HeddleOperations', 'g:heddle', 'heddle-install' }) do
      vim.cmd('help ' .. vim.fn.escape(tag, ' '))
      t.eq('help', vim.bo.buftype, 'help for ' .. tag)
      vim.cmd('helpclose')
    end
    local cmds = vim.api.nvim_get_commands({})
    for name in pairs(cmds) do
      if name:match('^Heddle') then
        vim.cmd('help :' .. name)
        vim.cmd('helpclose')
      end
    end
    -- Code blocks say their language (>lua, >vim), for 0.10+'s highlighting.
    for i, line in ipairs(vim.fn.readfile(plugin .. '/doc/heddle.txt')) do
      assert(not line:match(' >$') and line ~= '>', ('doc/heddle.txt:%d: a code block without a language: %s'):format(i, line))
    end
  end)

  t.case(':checkhealth heddle reports a missing server as an ERROR with advice', function()
    config.set({ cmd = { tmp .. '/no-such-heddle-ls' } })
    local text = t.checkhealth()
    t.contains(text, 'ERROR', 'checkhealth')
    t.contains(text, 'no-such-heddle-ls', 'checkhealth')
    t.contains(text, 'make build', 'advice')
    config.set({})
  end)

  t.case('setup with a missing server: one error, statusline heddle:off, no retry per buffer', function()
    local notes = t.capture_notify()
    require('heddle').setup({ cmd = { tmp .. '/no-such-heddle-ls' } })
    vim.cmd('edit ' .. tmp .. '/main/src/a.txt')
    vim.o.statusline = '%{v:lua.require("heddle").statusline()}'
    t.eq('heddle:off', t.statusline(), 'statusline')
    vim.cmd('edit ' .. tmp .. '/main/src/b.txt')
    local errors = vim.tbl_filter(function(n) return n.level == vim.log.levels.ERROR end, notes)
    t.eq(1, #errors, 'errors: ' .. vim.inspect(notes))
    -- 0.8+ returns a nil id instead of throwing: the message says why, not "nil".
    t.contains(errors[1].msg, 'is not an executable file', 'why')
    assert(not errors[1].msg:match('nil$'), 'message ends in nil: ' .. errors[1].msg)
    t.eq('heddle', errors[1].opts.title, 'title')
  end)

  t.case('a command for a repository whose server cannot start says so at once', function()
    local notes = t.capture_notify()
    vim.cmd('HeddleOps 5')
    local errors = vim.tbl_filter(function(n) return n.level == vim.log.levels.ERROR end, notes)
    t.eq(1, #errors, 'errors: ' .. vim.inspect(notes))
    t.contains(errors[1].msg, 'heddle-ls is not running for ' .. tmp .. '/main', 'message')
  end)
end)
