"""Run the fault drills one after the other (about 7 minutes); each sets up and removes its own world.

.venv/bin/python -m bench.drills
"""

from bench.drills import (
    ingest_postgres_outage,
    ingest_redis_outage,
    ingest_worker_kill,
    postgres_outage,
    redis_outage,
    worker_kill,
)

DRILLS = (redis_outage, postgres_outage, worker_kill, ingest_postgres_outage, ingest_worker_kill, ingest_redis_outage)
for drill in DRILLS:
    print(f"\n=== {drill.__name__.rsplit('.', 1)[-1]}: {drill.__doc__.splitlines()[0].removeprefix('Drill: ')}")
    drill.main()
