-- Replays the requests of one file round-robin (one line: path, then tab-separated
-- "Header: value" fields) and prints a JSON summary: wrk alone counts a redirect to the
-- login page as a success, so every status is counted here and only 2xx is good.
--
--   wrk --threads 2 -s replay.lua http://127.0.0.1:8101 -- requests.tsv 2

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function init(args)
   requests = {}
   statuses = {}
   for line in io.lines(args[1]) do
      if line ~= "" then
         local fields = {}
         for field in string.gmatch(line, "[^\t]+") do
            table.insert(fields, field)
         end
         -- TLS ends at the proxy in production; it says so in this header.
         local headers = { ["X-Forwarded-Proto"] = "https" }
         for i = 2, #fields do
            local name, value = string.match(fields[i], "^([^:]+):%s*(.*)$")
            headers[name] = value
         end
         table.insert(requests, wrk.format("GET", fields[1], headers))
      end
   end
   if #requests == 0 then
      error("no requests in " .. args[1])
   end
   -- Threads start apart, so that they do not walk through the same users together
   -- (args[2] is wrk's thread count, which a thread cannot see by itself).
   position = math.floor((thread_number - 1) * #requests / tonumber(args[2] or 1))
end

function request()
   position = position % #requests + 1
   return requests[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts, parts = {}, {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + count
      end
   end
   for status, count in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(95), latency:percentile(99),
      errors.connect, errors.read, errors.write, errors.timeout,
      table.concat(parts, ", ")))
end
