-- wrk script: each request takes the next path from the file named by the
-- environment variable BENCH_URLS (one path a line), cycling through them,
-- so that a run touches many distinct pages. Used by bench/run for the
-- cold-rendering measurement (page cache off).
local paths = {}
local file = os.getenv("BENCH_URLS")
for line in io.lines(file) do
	if line ~= "" then
		paths[#paths + 1] = line
	end
end
if #paths == 0 then
	error("bench/cycle.lua: no paths in " .. tostring(file))
end

local i = 0

-- Each wrk thread runs its own copy of this script; start the threads at
-- different offsets so they do not ask for the same page at the same time.
function setup(thread)
	thread:set("offset", math.random(#paths))
end

function init(args)
	i = tonumber(offset) or 0
end

function request()
	i = i % #paths + 1
	return wrk.format(nil, paths[i])
end
