"""The tracker sends an event refused for an outage or the rate limit again, with back-off, and stops on success.

Runs the served script under Node with a fake page, `fetch` and `setTimeout`; skipped without Node.
"""

import json
import re
import shutil
import subprocess

import pytest
from django.contrib.staticfiles import finders

HARNESS = """
const source = require("fs").readFileSync(process.argv[1], "utf8");
const answers = JSON.parse(process.argv[2]);
const sent = [], waits = [], bodies = [];
const fetch = (url, options) => {
  const answer = answers.shift();
  sent.push(answer);
  bodies.push(options.body);
  if (answer === "network error") return Promise.reject(new TypeError("Failed to fetch"));
  const [status, retryAfter] = answer;
  return Promise.resolve({ status, headers: { get: (name) => (name == "Retry-After" ? retryAfter : null) } });
};
const setTimeout = (callback, ms, ...args) => { waits.push(ms); global.setTimeout(callback, 0, ...args); };
const window = { fetch, history: { pushState() {} }, addEventListener() {}, innerWidth: 800 };
if (process.argv[3] === "crypto") window.crypto = globalThis.crypto;
const attributes = { "data-domain": "example.com", "data-api": "https://glimpse.example/api/event" };
const document = {
  referrer: "",
  currentScript: { src: "https://glimpse.example/js/script.js", getAttribute: (name) => attributes[name] || null,
                   hasAttribute: () => false },
};
const location = { pathname: "/", hostname: "example.com", protocol: "https:", href: "https://example.com/" };
new Function("window", "document", "navigator", "location", "fetch", "setTimeout", source)(
  window, document, { userAgent: "Firefox/128.0" }, location, fetch, setTimeout);
global.setTimeout(() => {
  console.log(JSON.stringify({ sent: sent.length, waits }));
  console.log(JSON.stringify(bodies));
}, 300);
"""


def run_tracker(answers: list) -> dict:
    """How many times the script sent its event, and how long it waited before each retry."""
    return json.loads(tracker_output(answers, crypto=False)[0])


def sent_bodies(answers: list, *, crypto: bool = True) -> list[dict]:
    """The bodies the script sent, the first and each retry; `crypto`: whether the page has `window.crypto`."""
    return [json.loads(body) for body in json.loads(tracker_output(answers, crypto=crypto)[1])]


def tracker_output(answers: list, *, crypto: bool) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js to run the tracking script (apt-get install nodejs)")
    script = finders.find("js/script.js")
    arguments = [script, json.dumps(answers), "crypto" if crypto else "none"]
    result = subprocess.run([node, "-e", HARNESS, *arguments], capture_output=True, text=True, check=True, timeout=30)
    return result.stdout.splitlines()


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


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_each_retry_sends_the_same_random_id():
    bodies = sent_bodies([[503, "1"], "network error", [202, None]])

    assert len(bodies) == 3
    assert UUID.fullmatch(bodies[0]["id"])
    assert bodies[1] == bodies[0] and bodies[2] == bodies[0]


def test_two_pageviews_carry_two_ids():
    first, second = sent_bodies([[202, None]]), sent_bodies([[202, None]])

    assert first[0]["id"] != second[0]["id"]


def test_without_crypto_the_event_is_sent_without_an_id():
    assert "id" not in sent_bodies([[202, None]], crypto=False)[0]
