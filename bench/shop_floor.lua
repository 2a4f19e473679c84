-- wrk script for bench/shop_floor.py: a shop-floor terminal per connection (run with -t N -c N, so each
-- thread's one connection sends its reports in order) reporting stage progress on its own work orders.
-- Thread k walks work orders BENCH_WO_BASE + k - 1, + N, + 2N …; each gets its stages started and
-- finished in routing order (8 reports for 4 stages). Event ids are deterministic, so with
-- BENCH_REPLAY_WOS=M the same script replays the first M work orders' reports (all repeats, 200).
local token = os.getenv("BENCH_TOKEN")
local prefix = os.getenv("BENCH_WO_PREFIX")
local base = tonumber(os.getenv("BENCH_WO_BASE") or "0")
local stride = tonumber(os.getenv("BENCH_THREADS") or "8")
local replay_wos = tonumber(os.getenv("BENCH_REPLAY_WOS") or "0")
local stages = {"welding", "painting", "assembly", "inspection"}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Device " .. token

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

-- The next report is chosen when the previous one is answered, not when a request is built: wrk
-- builds one request at start-up only to check it (never sent), which must not skip a report.
local counter = 0
response = function(status, headers, body)
  counter = counter + 1
end

request = function()
  local step = counter % 8
  local nth = math.floor(counter / 8)
  if replay_wos > 0 then nth = nth % replay_wos end
  local index = base + nth * stride + (thread_id - 1)
  local number = string.format("%s%06d", prefix, index)
  local stage = stages[math.floor(step / 2) + 1]
  local action = (step % 2 == 0) and "start" or "finish"
  local body = string.format(
    '{"event_id":"%s-%d","work_order":"%s","stage":"%s","action":"%s"}', number, step, number, stage, action
  )
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_ms=%.2f p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
