"""Autovacuum's work for a bench's own database on a server that runs with autovacuum off, as production never does.

The ingest worker looks up each batch's visitors and event ids by index. On tables that
were never analyzed PostgreSQL guesses their size and scans the site's whole raw history
instead: measured on this machine's server (`autovacuum = off`), a batch's event-id check
grew to about 3 s at 200k pageviews and the worker fell a minute behind a load it drains
at 12,000 events/s once the tables have statistics. Production PostgreSQL runs autovacuum
(the default), which analyzes a table once a tenth of it changed and vacuums it once a
fifth of it is dead rows (the rollup and period-total rows a batch updates in place),
checking every minute (`autovacuum_naptime`); this thread runs `VACUUM (ANALYZE)` on the
bench's database once its warm-up wrote the first rows (an installation that has been
running has statistics) and then every minute; nothing at all when the server's own
autovacuum is on.
"""

import threading

import psycopg

NAPTIME_S = 60.0  # autovacuum_naptime's default


def autovacuum_is_on(database_url: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as database:
        return database.execute("SHOW autovacuum").fetchone()[0] == "on"


class VacuumLikeAutovacuum(threading.Thread):
    """`VACUUM (ANALYZE)` of the bench's database at once, then every `every` seconds until `stop()`."""

    def __init__(self, *, database_url: str, every: float = NAPTIME_S) -> None:
        super().__init__(daemon=True)
        self.database_url, self.every = database_url, every
        self.stopping = threading.Event()
        self.passes = 0

    def run(self) -> None:
        while True:
            with psycopg.connect(self.database_url, autocommit=True) as database:
                database.execute("VACUUM (ANALYZE)")
            self.passes += 1
            if self.stopping.wait(self.every):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def keep_vacuumed(database_url: str) -> VacuumLikeAutovacuum | None:
    """Start the stand-in when the server's autovacuum is off (and say so); None when it is on."""
    if autovacuum_is_on(database_url):
        return None
    print(
        "  This PostgreSQL runs with autovacuum off: the bench vacuums and analyzes its own database every "
        f"{NAPTIME_S:.0f} s, as autovacuum does in production (bench/load/autovacuum.py).",
        flush=True,
    )
    keeper = VacuumLikeAutovacuum(database_url=database_url)
    keeper.start()
    return keeper
