-- wrk script: asks for every path in the file named by BENCH_URLS exactly
-- once (run it with one thread), then ends wrk (os.exit: wrk has no way
-- for a script to end the run early): "every page requested once" for
-- bench/search's memory measurement. Extra requests of connections still
-- open at the end ask for the last path again.
local paths = {}
for line in io.lines(os.getenv("BENCH_URLS")) do
	if line ~= "" then
		paths[#paths + 1] = line
	end
end
local i, done = 0, 0

function request()
	i = i + 1
	return wrk.format(nil, paths[math.min(i, #paths)])
end

function response(status, headers, body)
	done = done + 1
	if done >= #paths then
		io.stderr:write(string.format("bench/once.lua: %d pages requested\n", done))
		os.exit(0)
	end
end
