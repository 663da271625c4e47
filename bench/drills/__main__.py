"""Run the three fault drills one after the other (about 2.5 minutes); each sets up and removes its own world.

.venv/bin/python -m bench.drills
"""

from bench.drills import postgres_outage, redis_outage, worker_kill

for drill in (redis_outage, postgres_outage, worker_kill):
    print(f"\n=== {drill.__name__.rsplit('.', 1)[-1]}: {drill.__doc__.splitlines()[0].removeprefix('Drill: ')}")
    drill.main()
