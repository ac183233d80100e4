-- wrk script: POST /v1/commit with a realistic WeaselDB transaction, a new one in every request.
--
-- Body (compact JSON, ~560 bytes): a unique request_id ("bench-<12 hex per wrk thread>-<10-digit
-- counter>", 29 chars); read_version = the newest version this wrk thread has seen acknowledged;
-- 2 point_read preconditions and 3 writes (two ~40-byte balance values, one ~45-byte transfer log
-- entry) on keys unique to the request, so nothing can ever conflict, and the precondition version
-- is always recent (inside the conflict window, never newer than the latest commit). Until this
-- thread has seen its first acknowledgement it sends the writes without preconditions.
-- Non-2xx answers are wrk status errors (a 409 or 400 would show there).
--
-- Usage: wrk -t1 -c64 -d10s --latency -s commit.lua http://127.0.0.1:8080/v1/commit
--        (commit-bench.sh appends ../shared/peers/report.lua for the WRKSTATS line)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
   local out = {}
   for i = 1, #s, 3 do
      local a, b, c = s:byte(i, i + 2)
      local n = a * 65536 + (b or 0) * 256 + (c or 0)
      local q = { math.floor(n / 262144), math.floor(n / 4096) % 64, math.floor(n / 64) % 64, n % 64 }
      for j = 1, 4 do
         if j == 3 and not b or j == 4 and not c then
            out[#out + 1] = "="
         else
            out[#out + 1] = b64chars:sub(q[j] + 1, q[j] + 1)
         end
      end
   end
   return table.concat(out)
end

local from_value = base64('{"amount":9950,"currency":"USD","v":7}')
local to_value = base64('{"amount":10050,"currency":"USD","v":12}')
local log_value = base64('transfer 50 USD from A to B, memo: rent 11/26')

local tag
local counter = 0
local last_version = 0

init = function(args)
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

request = function()
   counter = counter + 1
   local n = string.format("%010d", counter)
   local from = base64("acct/" .. tag .. "/" .. n .. "/from")
   local to = base64("acct/" .. tag .. "/" .. n .. "/to")
   local reads = ""
   if last_version > 0 then
      reads = '"read_version":' .. last_version .. ',"preconditions":['
         .. '{"type":"point_read","key":"' .. from .. '"},'
         .. '{"type":"point_read","key":"' .. to .. '"}],'
   end
   return wrk.format(nil, nil, nil, '{"request_id":"bench-' .. tag .. '-' .. n .. '",' .. reads
      .. '"operations":[{"type":"write","key":"' .. from .. '","value":"' .. from_value .. '"},'
      .. '{"type":"write","key":"' .. to .. '","value":"' .. to_value .. '"},'
      .. '{"type":"write","key":"' .. base64("txlog/" .. tag .. "/" .. n) .. '","value":"' .. log_value .. '"}]}')
end

response = function(status, headers, body)
   if status == 200 then
      local v = tonumber(body:match('"version":(%d+)'))
      if v and v > last_version then last_version = v end
   end
end
