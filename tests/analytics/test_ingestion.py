import datetime as dt

import pytest

from analytics.events import PageviewEvent
from analytics.ingestion import Client, UnknownSite, ingest_pageview
from analytics.models import Pageview, Session, VisitorSalt
from analytics.salts import _held_salts, forget_held_salts
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
ALICE = Client(ip="8.8.8.8", user_agent=CHROME)


def at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def ingest(moment, *, url="https://example.com/", client=ALICE, domain="example.com", referrer="", width=None):
    event = PageviewEvent(domain=domain, url=url, referrer=referrer, width=width)
    return ingest_pageview(event=event, client=client, now=at(moment))


@pytest.fixture
def site():
    return SiteFactory(domain="example.com")


def test_a_pageview_is_stored_with_its_session_facts(site):
    pageview = ingest(
        "2026-03-18T10:00",
        url="https://example.com/pricing?utm_source=newsletter&email=a@b.example#plans",
        referrer="https://www.google.com/",
        width=400,
        client=Client(ip="81.2.69.142", user_agent=FIREFOX),
    )

    stored = Pageview.objects.get()
    assert (stored.visitor_id, stored.path, stored.timestamp) == (
        pageview.visitor_id,
        pageview.path,
        pageview.timestamp,
    )
    assert (stored.site, stored.path, stored.timestamp) == (site, "/pricing", at("2026-03-18T10:00"))
    session = Session.objects.get()
    assert (session.source, session.device_type, session.browser, session.country) == (
        "newsletter",
        "mobile",
        "Firefox",
        "GB",
    )
    assert (session.entry_path, session.pageviews, session.visitor_id) == ("/pricing", 1, stored.visitor_id)


def test_neither_the_ip_nor_the_user_agent_is_stored(site):
    ingest("2026-03-18T10:00", client=Client(ip="81.2.69.142", user_agent=FIREFOX))

    stored = [*Session.objects.values_list(), *Pageview.objects.values_list(), *VisitorSalt.objects.values_list()]
    text = repr(stored)
    assert "81.2.69.142" not in text
    assert "Gecko" not in text


def test_pageviews_less_than_thirty_minutes_apart_share_a_session(site):
    ingest("2026-03-18T10:00", url="https://example.com/")
    ingest("2026-03-18T10:29:59", url="https://example.com/pricing", referrer="https://elsewhere.example/")
    ingest("2026-03-18T11:00", url="https://example.com/signup")

    first, second = Session.objects.order_by("started_at")
    assert (first.pageviews, first.duration, first.entry_path, first.exit_path) == (2, 1799, "/", "/pricing")
    assert first.source == "direct"
    assert (second.pageviews, second.entry_path) == (1, "/signup")
    assert first.visitor_id == second.visitor_id


def test_visitor_id_depends_on_site_ip_and_user_agent(site):
    other_site = SiteFactory(domain="other.example")
    ingest("2026-03-18T10:00")
    ingest("2026-03-18T10:01")
    ingest("2026-03-18T10:02", client=Client(ip="8.8.4.4", user_agent=CHROME))
    ingest("2026-03-18T10:03", client=Client(ip="8.8.8.8", user_agent=FIREFOX))
    ingest("2026-03-18T10:04", domain="other.example", url="https://other.example/")

    ids = list(Pageview.objects.order_by("timestamp").values_list("visitor_id", flat=True))
    assert ids[0] == ids[1]
    assert len(set(ids)) == 4
    assert Session.objects.filter(site=site).count() == 3
    assert Session.objects.filter(site=other_site).count() == 1


def test_visitor_ids_rotate_at_the_sites_local_midnight():
    """New York is on EDT (UTC-4) in March 2026, so its 19th begins at 04:00 UTC."""
    SiteFactory(domain="example.com", timezone="America/New_York")
    ingest("2026-03-18T23:55")
    ingest("2026-03-19T03:59")
    ingest("2026-03-19T04:01")

    before_midnight, also_before, after_midnight = Pageview.objects.order_by("timestamp")
    assert before_midnight.visitor_id == also_before.visitor_id
    assert after_midnight.visitor_id != also_before.visitor_id
    assert [s.pageviews for s in Session.objects.order_by("started_at")] == [1, 1, 1]
    assert list(VisitorSalt.objects.order_by("day").values_list("day", flat=True)) == [
        dt.date(2026, 3, 18),
        dt.date(2026, 3, 19),
    ]


def test_a_utc_site_keeps_the_visitor_id_across_new_yorks_midnight(site):
    ingest("2026-03-19T03:59")
    ingest("2026-03-19T04:01")

    assert Pageview.objects.values("visitor_id").distinct().count() == 1
    assert Session.objects.get().pageviews == 2


def test_a_visitor_id_cannot_be_recomputed_after_its_salt_is_pruned(site):
    ingest("2026-03-18T10:00")
    VisitorSalt.objects.all().delete()
    forget_held_salts()  # as in any other process: the salt lived only in the database and this one's memory
    ingest("2026-03-18T10:01")

    first, second = Pageview.objects.order_by("timestamp")
    assert first.visitor_id != second.visitor_id


def test_a_process_lets_go_of_a_salt_once_its_date_is_over_everywhere(site):
    ingest("2026-03-18T10:00")
    ingest("2026-03-21T10:00")

    assert set(_held_salts) == {dt.date(2026, 3, 21)}
    assert set(VisitorSalt.objects.values_list("day", flat=True)) == {dt.date(2026, 3, 21)}


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://example.com", "/"),
        ("https://example.com/?q=secret", "/"),
        ("https://example.com/docs/a%20b/?x=1#top", "/docs/a b/"),
        ("http://example.com:8080/x#frag", "/x"),
        ("https://example.com/" + "p" * 2100, "/" + "p" * 1999),
    ],
)
def test_only_the_url_path_is_kept_at_most_2000_characters(site, url, path):
    ingest("2026-03-18T10:00", url=url)

    assert Pageview.objects.get().path == path


def test_the_domain_matches_like_a_site_domain_is_normalised(site):
    ingest("2026-03-18T10:00", domain="WWW.Example.COM.")

    assert Pageview.objects.get().site == site


def test_an_unknown_domain_raises_and_stores_nothing(site):
    with pytest.raises(UnknownSite):
        ingest("2026-03-18T10:00", domain="unknown.example")

    assert not Pageview.objects.exists()
    assert not VisitorSalt.objects.exists()


def test_a_bot_is_accepted_but_nothing_is_stored(site):
    googlebot = Client(
        ip="66.249.66.1", user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    )

    assert ingest("2026-03-18T10:00", client=googlebot) is None
    assert not Pageview.objects.exists()
    assert not Session.objects.exists()


def test_a_trusted_country_header_wins_over_the_ip_database(site):
    ingest("2026-03-18T10:00", client=Client(ip="8.8.8.8", user_agent=CHROME, header_country="de"))

    assert Session.objects.get().country == "DE"
