-- wrk script: POST a JSON body read from BENCH_BODY_FILE with an Authorization header.
-- With BENCH_IDEMPOTENCY=1 every request carries its own Idempotency-Key (start time, thread,
-- counter and a random part), so each one takes the keyed path a dealer's retry-safe client takes.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Token " .. token end
local keyed = os.getenv("BENCH_IDEMPOTENCY") == "1"

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local counter, prefix = 0, ""
init = function(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  prefix = string.format("bench-%d-%d-%08x-", os.time(), thread_id or 0, math.random(0, 0x7fffffff))
end

if keyed then
  request = function()
    counter = counter + 1
    wrk.headers["Idempotency-Key"] = prefix .. counter
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_ms=%.2f p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
