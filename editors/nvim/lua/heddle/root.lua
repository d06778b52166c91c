-- Finds the heddle checkout root of a path: the nearest ancestor D whose
-- D/.heddle holds an `objects/` directory (a main repo) or an `objectstore`
-- pointer file (a worktree; the server follows the pointer to the shared
-- heddle dir, so the plugin only needs D). Read-only, plain vim.loop: vim.fs
-- does not exist on Neovim 0.7.
local uv = vim.uv or vim.loop

local M = {}

-- dir -> root (string) or false. A per-directory cache: the statusline and
-- BufEnter call this often, and the answer rarely changes. M.clear() drops
-- it (:HeddleRefresh does) for a repo created after the first lookup.
local cache = {}

local function is_dir(path)
  local st = uv.fs_stat(path)
  return st ~= nil and st.type == 'directory'
end

local function is_file(path)
  local st = uv.fs_stat(path)
  return st ~= nil and st.type == 'file'
end

local function parent(dir)
  local p = dir:match('^(.*)/[^/]*$')
  if p == nil or p == '' then
    return '/'
  end
  return p
end

local function is_root(dir)
  local h = (dir == '/' and '' or dir) .. '/.heddle'
  return is_dir(h .. '/objects') or is_file(h .. '/objectstore')
end

--- The heddle root above `dir` (an absolute directory), or nil.
function M.for_dir(dir)
  dir = dir:gsub('/+$', '')
  if dir == '' then
    dir = '/'
  end
  local hit = cache[dir]
  if hit ~= nil then
    return hit or nil
  end
  local visited = {}
  local found = false
  local d = dir
  while true do
    if cache[d] ~= nil then
      found = cache[d]
      break
    end
    table.insert(visited, d)
    if is_root(d) then
      found = d
      break
    end
    if d == '/' then
      break
    end
    d = parent(d)
  end
  for _, v in ipairs(visited) do
    cache[v] = found
  end
  return found or nil
end

--- The heddle root of a buffer's file, or nil (unnamed, non-file or outside
--- any heddle repo).
function M.for_buf(bufnr)
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  local path = vim.fn.fnamemodify(name, ':p')
  local dir = is_dir(path) and path or vim.fn.fnamemodify(path, ':h')
  -- Resolve symlinks so that two paths into one repo share one client.
  dir = uv.fs_realpath(dir) or dir
  return M.for_dir(dir)
end

function M.clear()
  cache = {}
end

return M
