-- wrk script for the lookup API: POSTs {"api_key": …} to /v2/directories/{id}/authenticate,
-- cycling through the keys in the file BENCH_KEYS (one per line), each thread from its own
-- offset; BENCH_AUTH is the gateway credential's Authorization header. Prints one RESULT line
-- like form.lua, counting answers that are not `"active":true` as errors.
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS")) do
  keys[#keys + 1] = line
end
local auth = os.getenv("BENCH_AUTH")
local next_key = 1

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("offset", #threads * 7919)
end

init = function(args)
  next_key = (offset or 0) % #keys + 1
end

request = function()
  local key = keys[next_key]
  next_key = next_key % #keys + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = auth},
    '{"api_key":"' .. key .. '"}')
end

inactive = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"active":true', 1, true) then
    inactive = inactive + 1
  end
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local not_active = 0
  for _, thread in ipairs(threads) do
    not_active = not_active + thread:get("inactive")
  end
  io.write(string.format("RESULT rps=%.0f mean_ms=%.2f p50_ms=%.2f p99_ms=%.2f requests=%d non200=%d socket_errors=%d not_active=%d\n",
    summary.requests / seconds, latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    not_active))
end
