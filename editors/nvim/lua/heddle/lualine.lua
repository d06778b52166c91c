-- A lualine component: the statusline text for the current buffer, shown
-- only inside heddle repos, coloured by the server's `health` verdict.
--
--   require('lualine').setup({ sections = { lualine_x = { require('heddle.lualine') } } })
--
-- It is a plain component table, so lualine options can be added on a copy:
--   vim.tbl_extend('force', require('heddle.lualine'), { icon = '' })
local function text()
  return require('heddle').statusline()
end

return {
  text,
  cond = function()
    return text() ~= ''
  end,
  color = function()
    return require('heddle.status').highlight(vim.b.heddle_root)
  end,
}
