-- wrk script: commit.lua's transactions from clients that think between requests, so the offered load stays
-- below what the server can take and latency shows the commit path rather than a queue for the CPU.
--
-- Usage: wrk -t1 -c64 -d10s --latency -s commit-paced.lua URL -- VERSION CONNS THINK_MS [exp|fixed]
--   THINK_MS: each connection's pause after an answer before its next request, through wrk's delay(); wrk's
--   latency starts when a request is sent, so it does not include the pause.
--   exp (default): pauses drawn from an exponential distribution of mean THINK_MS, as independent clients
--   have them; fixed: exactly THINK_MS. With fixed pauses the clients a group commit answers together all
--   come back together, so the server sees bursts of a whole batch (measured: batches of ~20 at 64 clients).
--   wrk's timers have millisecond resolution: drawn pauses are rounded to whole milliseconds.
-- delay() must exist when wrk loads the script (it checks once, before init), so it lives here and not in
-- commit.lua, where every request of the unpaced runs would pay for a timer.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "commit.lua")

local think, exponential = 0, true
local commit_init = init
init = function(args)
   commit_init(args)
   think = tonumber(args[3] or "") or error("commit-paced.lua: THINK_MS (the third argument) is required")
   local mode = args[4] or "exp"
   if mode ~= "exp" and mode ~= "fixed" then error("commit-paced.lua: the fourth argument is exp or fixed") end
   exponential = mode == "exp"
   math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

delay = function()
   if exponential then
      return math.floor(-math.log(1 - math.random()) * think + 0.5)
   end
   return think
end
