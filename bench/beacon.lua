-- wrk script for bench/views: view beacons (POST /views/ID) from ever new
-- readers (a browser's user agent with a per-request suffix, so the dedupe
-- lets each one count) over the article ids listed in IDS_FILE (one a line:
-- published ones, or the count would drop them). Arguments after "--":
-- IDS_FILE RUN [DELAY_MS], RUN a tag of this run, unique in the server's
-- life (the dedupe remembers readers for 30 minutes). With DELAY_MS each
-- connection waits that long between beacons: a steady flow of about
-- CONNS * 1000 / DELAY_MS beacons a second instead of a flood.
local ids, run, pause = {}, "", 0
local k = 0
local serial = 0

function setup(thread)
	serial = serial + 1
	thread:set("tid", serial)
end

function init(args)
	for line in io.lines(args[1]) do
		ids[#ids + 1] = line
	end
	run = args[2] or ""
	pause = tonumber(args[3]) or 0
	if pause > 0 then
		delay = function() return pause end
	end
end

function request()
	k = k + 1
	local ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Bench/"
		.. run .. "-" .. tostring(tid) .. "-" .. k
	return wrk.format("POST", "/views/" .. ids[k % #ids + 1], { ["User-Agent"] = ua, ["Content-Type"] = "text/plain" }, "")
end
