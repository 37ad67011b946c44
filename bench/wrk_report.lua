-- Hooks shared by every scenario. bench/load.py writes one script per scenario: a few lines that set
-- wrk.method, wrk.path, wrk.headers and wrk.body, followed by this file.
--
-- wrk itself counts only statuses >= 400 as errors; response() counts every answer outside 2xx and
-- keeps the first such body as a sample. When the script sets `expect` (a string), a 2xx answer
-- whose body does not contain it is counted as `unexpected` (an error too), its body sampled.
-- done() runs in wrk's main Lua state, after the run: it collects the per-thread counters
-- (thread:get) and prints exactly one line,
--   WRK_JSON {...}
-- which bench/load.py parses. Durations and latencies are in microseconds.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

non2xx = 0
unexpected = 0
statuses = {}
sample = nil

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      local key = tostring(status)
      statuses[key] = (statuses[key] or 0) + 1
      if sample == nil then
         sample = key .. " " .. string.sub(body or "", 1, 300)
      end
   elseif expect ~= nil and not string.find(body or "", expect, 1, true) then
      unexpected = unexpected + 1
      if sample == nil then
         sample = tostring(status) .. " (unexpected) " .. string.sub(body or "", 1, 300)
      end
   end
end

local function json_string(s)
   s = string.gsub(s, '[%c"\\]', function(c)
      if c == '"' then return '\\"' end
      if c == "\\" then return "\\\\" end
      return string.format("\\u%04x", string.byte(c))
   end)
   return '"' .. s .. '"'
end

local function num(x)
   if x ~= x or x == math.huge or x == -math.huge then return "null" end
   return string.format("%.17g", x)
end

function done(summary, latency, requests)
   local total_non2xx = 0
   local total_unexpected = 0
   local merged = {}
   local first_sample = nil
   for _, thread in ipairs(threads) do
      total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
      total_unexpected = total_unexpected + (thread:get("unexpected") or 0)
      for status, count in pairs(thread:get("statuses") or {}) do
         merged[status] = (merged[status] or 0) + count
      end
      if first_sample == nil then
         first_sample = thread:get("sample")
      end
   end
   local status_parts = {}
   for status, count in pairs(merged) do
      table.insert(status_parts, json_string(status) .. ":" .. count)
   end
   local e = summary.errors
   local fields = {
      '"requests":' .. summary.requests,
      '"duration_us":' .. summary.duration,
      '"bytes":' .. summary.bytes,
      '"latency_us":{"mean":' .. num(latency.mean)
         .. ',"p50":' .. num(latency:percentile(50))
         .. ',"p90":' .. num(latency:percentile(90))
         .. ',"p99":' .. num(latency:percentile(99))
         .. ',"max":' .. num(latency.max) .. '}',
      '"errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write
         .. ',"timeout":' .. e.timeout .. ',"status_ge_400":' .. e.status
         .. ',"non_2xx":' .. total_non2xx .. ',"unexpected":' .. total_unexpected .. '}',
      '"statuses":{' .. table.concat(status_parts, ",") .. '}',
      '"sample":' .. (first_sample and json_string(first_sample) or "null"),
   }
   io.write("WRK_JSON {" .. table.concat(fields, ",") .. "}\n")
end
