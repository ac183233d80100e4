-- wrk script: POST /v1/commit with a realistic WeaselDB transaction, a new one in every request.
--
-- Body (compact JSON, ~590 bytes): a unique request_id ("bench-<12 hex per wrk thread>-<12-digit
-- counter>", 31 chars); read_version (see below); 2 point_read preconditions and 3 writes (two ~40-byte
-- balance values, one ~45-byte transfer log entry) on 24-byte keys unique to the request, so nothing can
-- ever conflict. Non-2xx answers are wrk status errors (a 409 or 400 would show there).
--
-- Usage: wrk -t1 -c64 -d10s --latency -s commit.lua http://127.0.0.1:8080/v1/commit -- VERSION CONNS
--   VERSION: the server's /v1/version just before the run; CONNS: wrk's -c.
--   (commit-bench.sh appends ../shared/peers/report.lua for the WRKSTATS line)
--
-- read_version = VERSION + requests this thread has made - 2 * CONNS. Each connection has at most one
-- request in flight, so every request this thread made beyond its connections' first ones follows an
-- answer, and every commit answered took a version: the read version is never newer than the latest
-- commit, and it trails it by about the connection count (well inside the conflict window). The margin
-- of 2 * CONNS covers reconnects. Without arguments the writes are sent without preconditions.
--
-- No response() callback: wrk then builds a Lua table of every answer's headers and calls into Lua for
-- each one; without it (and with the request text built here instead of by wrk.format) wrk's CPU per
-- commit fell from 8.0-8.7 to 6.5 us, and commits/s rose 9-15 % at 64 connections, on the same cores.
-- Keys are written directly as base64 text, so no per-request encoding runs in Lua (base64 in Lua cost
-- ~10 µs per request, as much CPU as the server's parsing, on the same cores). A key's text is a fixed
-- 8-character prefix (6 bytes: "acct/f", "acct/t" or "txlog/"), the thread's 12-hex-digit tag and a
-- 12-digit counter: every group a multiple of 4 base64 characters, so the whole is valid unpadded base64
-- of 24 bytes (the tag and counter parts decode to arbitrary binary: keys are opaque bytes).
local from_prefix = "YWNjdC9m" -- "acct/f"
local to_prefix = "YWNjdC90"   -- "acct/t"
local log_prefix = "dHhsb2cv"  -- "txlog/"
local from_value = "eyJhbW91bnQiOjk5NTAsImN1cnJlbmN5IjoiVVNEIiwidiI6N30="   -- {"amount":9950,"currency":"USD","v":7}
local to_value = "eyJhbW91bnQiOjEwMDUwLCJjdXJyZW5jeSI6IlVTRCIsInYiOjEyfQ==" -- {"amount":10050,"currency":"USD","v":12}
local log_value = "dHJhbnNmZXIgNTAgVVNEIGZyb20gQSB0byBCLCBtZW1vOiByZW50IDExLzI2" -- transfer 50 USD from A to B, memo: rent 11/26

local tag
local counter = 0
local base = 0   -- VERSION - 2 * CONNS; nil: no preconditions

init = function(args)
   local version, conns = tonumber(args[1] or ""), tonumber(args[2] or "")
   base = (version and conns) and version - 2 * conns or nil
   -- a random tag per thread (and per wrk run): 6 bytes from /dev/urandom, else time and clock
   local f = io.open("/dev/urandom", "rb")
   local r = f and f:read(6)
   if f then f:close() end
   if r then
      tag = string.format("%02x%02x%02x%02x%02x%02x", r:byte(1, 6))
   else
      tag = string.format("%08x%04x", os.time() % 4294967296, math.floor(os.clock() * 1e6) % 65536)
   end
end

local head = "POST /v1/commit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "

request = function()
   counter = counter + 1
   local n = string.format("%012d", counter)
   local id = tag .. n
   local from = from_prefix .. id
   local to = to_prefix .. id
   local reads = ""
   if base and base + counter > 0 then
      reads = '"read_version":' .. (base + counter) .. ',"preconditions":['
         .. '{"type":"point_read","key":"' .. from .. '"},'
         .. '{"type":"point_read","key":"' .. to .. '"}],'
   end
   local body = '{"request_id":"bench-' .. tag .. '-' .. n .. '",' .. reads
      .. '"operations":[{"type":"write","key":"' .. from .. '","value":"' .. from_value .. '"},'
      .. '{"type":"write","key":"' .. to .. '","value":"' .. to_value .. '"},'
      .. '{"type":"write","key":"' .. log_prefix .. id .. '","value":"' .. log_value .. '"}]}'
   return head .. #body .. "\r\n\r\n" .. body
end
