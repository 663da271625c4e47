import gzip

from django.contrib.staticfiles import finders

GZIP_BUDGET = 1024


def test_the_tracking_script_is_served_as_javascript(client):
    response = client.get("/js/script.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert not response.cookies
    with open(finders.find("js/script.js"), "rb") as source:
        assert response.content == source.read()


def test_the_tracking_script_fits_in_1_kb_gzipped(client):
    served = client.get("/js/script.js").content

    assert len(gzip.compress(served, compresslevel=9)) <= GZIP_BUDGET


def test_browsers_accepting_gzip_get_it_compressed(client):
    plain = client.get("/js/script.js").content
    response = client.get("/js/script.js", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert len(response.content) <= GZIP_BUDGET
    assert gzip.decompress(response.content) == plain


def test_the_script_honours_every_documented_switch(client):
    script = client.get("/js/script.js").content.decode()

    for switch in (
        "data-domain",
        "data-api",
        "data-allow-local",
        "glimpseIgnore",
        "pushState",
        "popstate",
        "sendBeacon",
    ):
        assert switch in script


def test_the_script_cannot_be_posted_to(client):
    response = client.post("/js/script.js")

    assert response.status_code == 405
