"""Planner statistics for a bench's own database on a server that runs with autovacuum off, as production never does.

The ingest worker looks up each batch's visitors and event ids by index. On tables that
were never analyzed PostgreSQL guesses their size and scans the site's whole raw history
instead: measured on this machine's server (`autovacuum = off`), a batch's event-id check
grew to about 3 s at 200k pageviews and the worker fell a minute behind a load it drains
at 12,000 events/s once the tables have statistics. Production PostgreSQL runs autovacuum
(the default), which analyzes a table once a tenth of it changed, checking every minute
(`autovacuum_naptime`); this thread does the same for the bench's database only, and
nothing at all when the server's own autovacuum is on.
"""

import threading

import psycopg

NAPTIME_S = 60.0  # autovacuum_naptime's default


def autovacuum_is_on(database_url: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as database:
        return database.execute("SHOW autovacuum").fetchone()[0] == "on"


class AnalyzeLikeAutovacuum(threading.Thread):
    """`ANALYZE` of the bench's database every `every` seconds, until `stop()`."""

    def __init__(self, *, database_url: str, every: float = NAPTIME_S) -> None:
        super().__init__(daemon=True)
        self.database_url, self.every = database_url, every
        self.stopping = threading.Event()
        self.passes = 0

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            with psycopg.connect(self.database_url, autocommit=True) as database:
                database.execute("ANALYZE")
            self.passes += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def keep_statistics(database_url: str) -> AnalyzeLikeAutovacuum | None:
    """Start the stand-in when the server's autovacuum is off (and say so); None when it is on."""
    if autovacuum_is_on(database_url):
        return None
    print(
        "  This PostgreSQL runs with autovacuum off: the bench analyzes its own database every "
        f"{NAPTIME_S:.0f} s, as autovacuum does in production (bench/load/autovacuum.py).",
        flush=True,
    )
    keeper = AnalyzeLikeAutovacuum(database_url=database_url)
    keeper.start()
    return keeper
