-- wrk script: POSTs a form body given in the environment (BENCH_BODY), optionally with
-- an Authorization header (BENCH_AUTH); prints mean, p50 and p99 latency as one line.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f mean_ms=%.2f p50_ms=%.2f p99_ms=%.2f requests=%d non200=%d socket_errors=%d\n",
    summary.requests / seconds, latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
