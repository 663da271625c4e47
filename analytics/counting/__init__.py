"""Counting: every number Glimpse serves, from one rule (docs/counting.md).

The rule
    `rule`         what one visitor-day contributes: sessions, day and hour counts, marks
Writing (a batch goes down this list, one way)
    `visitor_days` a batch's visitor-days: stored pageviews read, contribution after - before
    `store`        that change to every derived table
    `counters`     the one counter-row writer and value key, PostgreSQL and SQLite forms
    `periods`      running per-value totals of the day periods, moved on by `worker`
    `hours`        how far back hourly rows are complete; dropping old ones
Recounting
    `recount`      a day from raw pageviews alone; `rebuild` stores it, `verify` compares it
Reading (one snapshot per answer: `snapshot`)
    `read_days`    7d … 365d;  `read_24h` the last 24 hours;  `raw_reads` raw-row fallbacks
"""
