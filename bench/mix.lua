-- wrk script for `make bench`: each connection is one visitor drawing addresses from the mix.
--
-- bench/run.py runs wrk with as many threads as connections, so each thread has exactly one
-- connection and a thread's cookie is its connection's own session. The plan (a Lua file written by
-- bench/run.py, named by BENCH_MIX_PLAN) holds the session cookies and, for signed-in and anonymous
-- visitors, the kinds of page with their weights and addresses. The first `#plan.cookies` threads
-- are signed in; the rest are anonymous. Every response's status is counted, so the report names
-- what failed (wrk's own count lumps every status of 400 and above together).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local cookie, kinds, total
statuses = {}  -- a global: done() reads it from each thread

function init(args)
  local plan = dofile(os.getenv("BENCH_MIX_PLAN"))
  cookie = plan.cookies[id]
  kinds = cookie and plan.signed_in or plan.anonymous
  total = 0
  for _, kind in ipairs(kinds) do total = total + kind[1] end
  statuses = {}
  math.randomseed(id * 7919 + os.time())
  if cookie then
    wrk.headers["Cookie"] = cookie
  end
end

local function draw()
  local pick = math.random() * total
  for _, kind in ipairs(kinds) do
    pick = pick - kind[1]
    if pick <= 0 then
      local paths = kind[2]
      return paths[math.random(#paths)]
    end
  end
  local paths = kinds[#kinds][2]
  return paths[math.random(#paths)]
end

function request()
  return wrk.format("GET", draw())
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
