-- wrk script: POST pageview beacons from a pool of returning visitors (one X-Forwarded-For each).
-- The server runs with NUM_PROXIES=1, so each address is a distinct visitor; 1 in 4 is new.
-- BENCH_SHAPE chooses the mix, as bench/ingest/mix.py defines it for the queue:
--   real (default): 50 sites of very different sizes (load-00.example … load-49.example), 5,000 paths a site with a
--     long tail, referrers from 2,000 hosts, 1 visit in 10 from one of 300 campaigns;
--   high-cardinality: one site, every beacon a new path and a new campaign;
--   friendly: one site (example.com), 7 paths, 3 referrers.
local shape = os.getenv("BENCH_SHAPE") or "real"
local friendly_paths = {"/", "/pricing", "/blog", "/docs", "/about", "/blog/privacy-first-analytics", "/contact"}
local friendly_referrers = {"", "", "https://www.google.com/", "https://news.ycombinator.com/", "https://duckduckgo.com/"}
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
}
local widths = {390, 820, 1280, 1440, 1920}
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS_PER_THREAD") or "100000")
local thread_id = 0
local sent = 0
local serial = 0

-- An index from 1 to n, a few very often and most rarely (density falling like 1/x), as mix.long_tail_choice.
local function long_tail(n)
  return math.min(n, math.floor(n ^ math.random()))
end

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

local function page()
  if shape == "friendly" then
    return "example.com", friendly_paths[math.random(#friendly_paths)], friendly_referrers[math.random(#friendly_referrers)]
  end
  if shape == "high-cardinality" then
    serial = serial + 1
    local unique = string.format("%d-%d-%d", id or 0, os.time(), serial)
    return "example.com", "/item/" .. unique .. "?utm_source=campaign-" .. unique, ""
  end
  local domain = string.format("load-%02d.example", long_tail(50) - 1)
  local path = "/"
  local index = long_tail(5000) - 1
  if index > 0 then
    path = string.format("/docs/section-%d/page-%d", math.floor(index / 50), index)
  end
  local referrer = ""
  if math.random(10) <= 5 then
    referrer = string.format("https://referrer-%d.example/", long_tail(2000) - 1)
  end
  if math.random(10) == 1 then
    path = path .. string.format("?utm_source=campaign-%d", long_tail(300) - 1)
  end
  return domain, path, referrer
end

function request()
  local ip
  if math.random(4) == 1 then
    ip = string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254))
  else
    ip = string.format("81.2.%d.%d", math.random(0, 15), math.random(1, 254))
  end
  local domain, path, referrer = page()
  local body = string.format(
    '{"domain":"%s","url":"https://%s%s","referrer":"%s","width":%d}',
    domain, domain, path, referrer, widths[math.random(#widths)]
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
