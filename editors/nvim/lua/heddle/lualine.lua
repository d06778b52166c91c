-- A lualine component: the statusline text for the current buffer, shown
-- only inside heddle repos, coloured by severity.
--
--   require('lualine').setup({ sections = { lualine_x = { require('heddle.lualine') } } })
--
-- It is a plain component table, so lualine options can be added on a copy:
--   vim.tbl_extend('force', require('heddle.lualine'), { icon = '' })
local function text()
  return require('heddle').statusline()
end

local groups = { ok = 'HeddleStatusOk', warn = 'HeddleStatusWarn', error = 'HeddleStatusError' }

return {
  text,
  cond = function()
    return text() ~= ''
  end,
  color = function()
    local status = require('heddle.status')
    local root = vim.b.heddle_root
    return groups[status.severity(root and status.state(root))]
  end,
}
