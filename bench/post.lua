-- SPDX-License-Identifier: Apache-2.0
-- wrk script used by bench/run: POSTs a small JSON hit and counts responses
-- whose status is not the expected one. Settings come from the environment,
-- so that no token is ever written to a file:
--   BENCH_TOKEN       bearer token; empty or unset: no Authorization header
--   BENCH_EXPECT      the expected HTTP status (e.g. 202, 401, 204)
--   BENCH_STOP_AFTER  optional: each thread stops after this many expected
--                     responses (bench/run --memory)
--   BENCH_CHECK       "class": do not look at each response (wrk then does not
--                     build a Lua table of its headers, which costs client CPU
--                     in proportion to the response's size); only the class of
--                     the status is checked, from wrk's count of statuses > 399
-- done() prints one machine-readable line that bench/run parses:
--   ONEP_BENCH requests=N duration_us=N p50_us=N p99_us=N expected=N unexpected=N socket_errors=N

local token = os.getenv("BENCH_TOKEN") or ""
local expect = tonumber(os.getenv("BENCH_EXPECT") or "") or 0
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "") or 0
local class_only = os.getenv("BENCH_CHECK") == "class"

wrk.method = "POST"
wrk.body = '{"app":"web"}'
wrk.headers["Content-Type"] = "application/json"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Setup and done share one environment; each running thread has its own.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

matched = 0
unexpected = 0

function response(status, headers, body)
  if status == expect then
    matched = matched + 1
    if stop_after > 0 and matched >= stop_after then
      wrk.thread:stop()
    end
  else
    unexpected = unexpected + 1
  end
end

if class_only then
  response = nil
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  local e = summary.errors
  if class_only then
    if expect > 399 then bad = summary.requests - e.status else bad = e.status end
    ok = summary.requests - bad
  else
    for _, thread in ipairs(threads) do
      ok = ok + thread:get("matched")
      bad = bad + thread:get("unexpected")
    end
  end
  io.write(string.format(
    "ONEP_BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d expected=%d unexpected=%d " ..
    "socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), ok, bad,
    e.connect + e.read + e.write + e.timeout))
end
