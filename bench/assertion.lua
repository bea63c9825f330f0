-- wrk script for the JWT bearer grant: POSTs grant_type=jwt-bearer with the next assertion of
-- the file BENCH_ASSERTIONS (one per line, each usable once), and BENCH_EXTRA appended to the
-- form (BENCH_PREFIX replaces what goes before the assertion). Thread i of n takes lines i, i+n, i+2n…; prints one RESULT line like form.lua.
local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("index", #threads)
  thread:set("count", 0)
end

local assertions = {}
local next_assertion = 1
init = function(args)
  local n = 0
  local total = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_ASSERTIONS")) do
    n = n + 1
    if (n - index) % total == 0 then
      assertions[#assertions + 1] = line
    end
  end
end

local extra = os.getenv("BENCH_EXTRA") or ""
-- What goes before each token: the JWT bearer grant's form unless BENCH_PREFIX says otherwise
-- (token exchange sends them as subject tokens).
local prefix = os.getenv("BENCH_PREFIX") or "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
request = function()
  local assertion = assertions[next_assertion]
  next_assertion = next_assertion % #assertions + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, prefix .. assertion .. extra)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f mean_ms=%.2f p50_ms=%.2f p99_ms=%.2f requests=%d non200=%d socket_errors=%d\n",
    summary.requests / seconds, latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
