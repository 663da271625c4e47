-- wrk script: POST pageview beacons from a pool of returning visitors (one X-Forwarded-For each).
-- The server runs with NUM_PROXIES=1, so each address is a distinct visitor; 1 in 4 is new.
local paths = {"/", "/pricing", "/blog", "/docs", "/about", "/blog/privacy-first-analytics", "/contact"}
local referrers = {"", "", "https://www.google.com/", "https://news.ycombinator.com/", "https://duckduckgo.com/"}
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
}
local widths = {390, 820, 1280, 1440, 1920}
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS_PER_THREAD") or "100000")
local thread_id = 0
local sent = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  local ip
  if math.random(4) == 1 then
    ip = string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254))
  else
    ip = string.format("81.2.%d.%d", math.random(0, 15), math.random(1, 254))
  end
  local body = string.format(
    '{"domain":"example.com","url":"https://example.com%s","referrer":"%s","width":%d}',
    paths[math.random(#paths)], referrers[math.random(#referrers)], widths[math.random(#widths)]
  )
  local headers = {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["X-Forwarded-For"] = ip,
    ["User-Agent"] = agents[math.random(#agents)],
  }
  return wrk.format("POST", "/api/event", headers, body)
end

function response(status, headers, body)
  sent = sent + 1
  if sent >= max_requests then
    wrk.thread:stop()
  end
end
