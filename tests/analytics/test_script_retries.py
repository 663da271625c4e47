"""The tracker sends an event refused for an outage or the rate limit again, with back-off, and stops on success.

Runs the served script under Node with a fake page, `fetch` and `setTimeout`; skipped without Node.
"""

import json
import shutil
import subprocess

import pytest
from django.contrib.staticfiles import finders

HARNESS = """
const source = require("fs").readFileSync(process.argv[1], "utf8");
const answers = JSON.parse(process.argv[2]);
const sent = [], waits = [];
const fetch = () => {
  const answer = answers.shift();
  sent.push(answer);
  if (answer === "network error") return Promise.reject(new TypeError("Failed to fetch"));
  const [status, retryAfter] = answer;
  return Promise.resolve({ status, headers: { get: (name) => (name == "Retry-After" ? retryAfter : null) } });
};
const setTimeout = (callback, ms, ...args) => { waits.push(ms); global.setTimeout(callback, 0, ...args); };
const window = { fetch, history: { pushState() {} }, addEventListener() {}, innerWidth: 800 };
const attributes = { "data-domain": "example.com", "data-api": "https://glimpse.example/api/event" };
const document = {
  referrer: "",
  currentScript: { src: "https://glimpse.example/js/script.js", getAttribute: (name) => attributes[name] || null,
                   hasAttribute: () => false },
};
const location = { pathname: "/", hostname: "example.com", protocol: "https:", href: "https://example.com/" };
new Function("window", "document", "navigator", "location", "fetch", "setTimeout", source)(
  window, document, { userAgent: "Firefox/128.0" }, location, fetch, setTimeout);
global.setTimeout(() => console.log(JSON.stringify({ sent: sent.length, waits })), 300);
"""


def run_tracker(answers: list) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js to run the tracking script (apt-get install nodejs)")
    script = finders.find("js/script.js")
    result = subprocess.run(
        [node, "-e", HARNESS, script, json.dumps(answers)], capture_output=True, text=True, check=True, timeout=30
    )
    return json.loads(result.stdout)


def test_a_503_is_sent_again_after_retry_after_until_accepted():
    assert run_tracker([[503, "10"], [503, "10"], [202, None]]) == {"sent": 3, "waits": [10_000, 10_000]}


def test_without_retry_after_the_waits_double_and_stop_after_five_retries():
    answers = [[429, None]] * 6 + [[202, None]]

    assert run_tracker(answers) == {"sent": 6, "waits": [1000, 2000, 4000, 8000, 16000]}


def test_a_network_error_is_sent_again_and_an_accepted_event_once():
    assert run_tracker(["network error", [202, None]]) == {"sent": 2, "waits": [1000]}
    assert run_tracker([[202, None]]) == {"sent": 1, "waits": []}


def test_a_refusal_that_retrying_cannot_fix_is_not_sent_again():
    assert run_tracker([[400, None]]) == {"sent": 1, "waits": []}
