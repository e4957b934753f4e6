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
--   BENCH_CONNECTION_CLOSE  "1": every request carries "Connection: close", so
--                     the server closes the connection after answering it and
--                     wrk opens a new one for the next request
-- done() prints one machine-readable line that bench/run parses:
--   ONEP_BENCH requests=N duration_us=N p50_us=N p99_us=N expected=N unexpected=N socket_errors=N
--     [closed=N]
-- closed: the responses that carried "Connection: close" (wrk reconnects after
-- each); counted only when each response is looked at (not with "class").

local token = os.getenv("BENCH_TOKEN") or ""
local expect = tonumber(os.getenv("BENCH_EXPECT") or "") or 0
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "") or 0
local class_only = os.getenv("BENCH_CHECK") == "class"
local connection_close = os.getenv("BENCH_CONNECTION_CLOSE") == "1"

wrk.method = "POST"
wrk.body = '{"app":"web"}'
wrk.headers["Content-Type"] = "application/json"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if connection_close then
  wrk.headers["Connection"] = "close"
end

-- Setup and done share one environment; each running thread has its own.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

matched = 0
unexpected = 0
closed = 0

function response(status, headers, body)
  local connection = headers["Connection"] or headers["connection"]
  if connection and connection:lower() == "close" then
    closed = closed + 1
  end
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
  local ok, bad, closes = 0, 0, ""
  local e = summary.errors
  if class_only then
    if expect > 399 then bad = summary.requests - e.status else bad = e.status end
    ok = summary.requests - bad
  else
    local n = 0
    for _, thread in ipairs(threads) do
      ok = ok + thread:get("matched")
      bad = bad + thread:get("unexpected")
      n = n + thread:get("closed")
    end
    closes = string.format(" closed=%d", n)
  end
  io.write(string.format(
    "ONEP_BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d expected=%d unexpected=%d " ..
    "socket_errors=%d%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), ok, bad,
    e.connect + e.read + e.write + e.timeout, closes))
end
