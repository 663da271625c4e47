"""A database of the bench's own: created, migrated and seeded with the demo commands, dropped only if created here."""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_DOMAIN = "example.com"

# Runs inside `manage.py shell`: the demo commands fill the sites, then share tokens are issued.
SEED = """
import json, os
from django.core.management import call_command
from analytics.models import Site
from sharing.owners import create_site_owner
from django.utils import timezone
from sharing.services import create_share_token

options = json.loads(os.environ["GLIMPSE_SEED"])
create_site_owner(username="bench-owner", email="bench-owner@example.com", password="bench-owner-password")
sites = [(options["domain"], options["days"], options["visitors_per_day"])]
sites += [(f"cold-{number}.example", 30, 100) for number in range(options["cold_sites"])]
for domain, days, visitors in sites:
    call_command(
        "seed_demo_data", site=domain, owner="bench-owner", timezone="Europe/Amsterdam",
        days=days, visitors_per_day=visitors,
    )
call_command("rollup_stats")
tokens = {
    domain: create_share_token(site=Site.objects.get(domain=domain), now=timezone.now(), label="bench").raw_token
    for domain, _, _ in sites
}
print("GLIMPSE_SEEDED " + json.dumps(tokens))
"""


@dataclass(frozen=True)
class Seeded:
    domain: str
    token: str
    cold_tokens: tuple[str, ...]


def manage(*arguments: str, environment: dict[str, str]) -> str:
    """Run a management command of this checkout; its output, or exit with it on failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments[:2])} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def seed(*, environment: dict[str, str], days: int, visitors_per_day: int, cold_sites: int) -> Seeded:
    """Migrate, fill the demo site (and small "cold" sites whose periods nobody asked for yet), issue tokens."""
    started = time.monotonic()
    manage("migrate", "--noinput", "-v0", environment=environment)
    options = {"domain": DEMO_DOMAIN, "days": days, "visitors_per_day": visitors_per_day, "cold_sites": cold_sites}
    output = manage("shell", "-c", SEED, environment={**environment, "GLIMPSE_SEED": json.dumps(options)})
    line = next(line for line in output.splitlines() if line.startswith("GLIMPSE_SEEDED "))
    tokens = json.loads(line.removeprefix("GLIMPSE_SEEDED "))
    seeded = Seeded(
        domain=DEMO_DOMAIN,
        token=tokens.pop(DEMO_DOMAIN),
        cold_tokens=tuple(tokens.values()),
    )
    print(
        f"Seeded {DEMO_DOMAIN} ({days} days, {visitors_per_day} visitors a day) and {cold_sites} cold sites "
        f"in {time.monotonic() - started:.0f} s"
    )
    return seeded


def psql(server_url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", server_url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def create_database(*, server_url: str, name: str) -> None:
    """Create `name`; refuse to reuse an existing database, which may belong to someone else."""
    if not name.replace("_", "").isalnum():
        sys.exit(f"--database-name must be letters, digits and underscores: {name!r}")
    if psql(server_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        sys.exit(f"Database {name} already exists: the bench only uses a database it creates.")
    psql(server_url, f'CREATE DATABASE "{name}"')


def drop_database(*, server_url: str, name: str) -> None:
    psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def default_database_name() -> str:
    return f"glimpse_load_{os.getpid()}"
