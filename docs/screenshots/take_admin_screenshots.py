"""Take the admin screenshots shown in the README, in headless Chromium, as a new site owner.

    .venv/bin/python docs/screenshots/take_admin_screenshots.py [--port 8111]

Works on a throwaway SQLite database (recreated on every run) and its own `runserver` on
127.0.0.1, so nothing local is touched. Needs Debian's Chromium at /usr/bin/chromium.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
DATABASE = Path("/tmp/glimpse-admin-screenshots.sqlite3")
USERNAME, PASSWORD = "olivia", "olivia-demo-password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def prepare_data() -> int:
    """An owner with one site, some traffic and share links in every state; returns the site id."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics.models import Site
    from sharing.models import ShareToken
    from sharing.owners import create_site_owner
    from sharing.services import create_share_token, revoke_share_token, rotate_share_token

    call_command("migrate", verbosity=0)
    owner = create_site_owner(username=USERNAME, email="olivia@example.com", password=PASSWORD)
    site = Site.objects.create(owner=owner, domain="olivias-garden.example", nickname="Olivia's Garden")
    site.timezone = "Europe/Amsterdam"
    site.save()
    call_command("seed_demo_data", site=site.domain, days=30, visitors_per_day=150, verbosity=0)
    now = timezone.now()

    def token(label: str, age_days: int, uses: int, **kwargs) -> ShareToken:
        share_token = create_share_token(
            site=site, now=timezone.now(), label=label, created_by=owner, **kwargs
        ).share_token
        last_used = now - dt.timedelta(hours=age_days * 3) if uses else None
        ShareToken.objects.filter(pk=share_token.pk).update(
            created_at=now - dt.timedelta(days=age_days), use_count=uses, last_used_at=last_used
        )
        share_token.refresh_from_db()
        return share_token

    revoke_share_token(token("Old agency login", 200, 310, allowed_periods=["30d", "90d"]), now=timezone.now())
    expired = token("Q1 investor update", 120, 57, allowed_periods=["90d"], expires_at=now + dt.timedelta(days=1))
    ShareToken.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(days=30))
    embed = token("Homepage widget", 60, 9_412, allowed_periods=["24h", "7d"])
    token("Newsletter sponsors", 14, 126, allowed_periods=["7d", "30d"], expires_at=now + dt.timedelta(days=45))
    rotated = rotate_share_token(embed, now=timezone.now(), grace=dt.timedelta(hours=24), created_by=owner).share_token
    ShareToken.objects.filter(pk=rotated.pk).update(created_at=now - dt.timedelta(minutes=20))
    return site.pk


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def take_screenshots(base_url: str, site_id: int) -> None:
    from playwright.sync_api import sync_playwright

    next_week = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1500, "height": 760}, timezone_id="Europe/Amsterdam"
        )
        context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")

        page.goto("/admin/sharing/sharetoken/")
        page.screenshot(path=OUT / "admin-token-list.png", full_page=True)

        page.goto(f"/admin/sharing/sharetoken/add/?site={site_id}")
        page.fill("#id_label", "Client report")
        page.check("input[name=allowed_periods][value='7d']")
        page.check("input[name=allowed_periods][value='30d']")
        page.fill("#id_expires_at_0", next_week)
        page.fill("#id_expires_at_1", "12:00")
        page.screenshot(path=OUT / "admin-add-form.png", full_page=True)

        page.click("input[value='Create share link']")
        page.click("button[data-copy='glimpse-share-url']")
        page.wait_for_function(
            "document.querySelector(\"button[data-copy='glimpse-share-url']\").textContent === 'Copied!'"
        )
        page.screenshot(path=OUT / "admin-show-once.png", full_page=True)

        page.click("text=Done, I have copied it")
        page.screenshot(path=OUT / "admin-change-page.png", full_page=True)

        page.click("#glimpse-rotate")
        page.check("input[name=grace][value='3600']")
        page.screenshot(path=OUT / "admin-rotate.png", full_page=True)

        page.goto("/admin/analytics/site/")
        page.screenshot(path=OUT / "admin-site-list.png", full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8111)
    port = parser.parse_args().port
    base_url = f"http://127.0.0.1:{port}"
    DATABASE.unlink(missing_ok=True)
    os.environ.update(
        DATABASE_URL=f"sqlite:///{DATABASE}", DJANGO_SETTINGS_MODULE="config.settings", GLIMPSE_BASE_URL=base_url
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    site_id = prepare_data()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{base_url}/admin/login/")
        take_screenshots(base_url, site_id)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main()
