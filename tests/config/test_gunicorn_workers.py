"""The production server's workers: threads, so a request waiting on Redis or the database frees its core."""

import runpy

from gunicorn.config import Config

from tests.config.conftest import GUNICORN_CONF


def gunicorn_config() -> Config:
    cfg = Config()
    for name, value in runpy.run_path(str(GUNICORN_CONF)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    return cfg


def test_two_threaded_workers_of_four_threads_by_default(production_key, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)

    cfg = gunicorn_config()

    assert (cfg.worker_class_str, cfg.workers, cfg.threads) == ("gthread", 2, 4)


def test_a_worker_is_replaced_after_about_200000_requests_by_default(production_key, monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)

    cfg = gunicorn_config()

    assert (cfg.max_requests, cfg.max_requests_jitter) == (200_000, 20_000)


def test_the_environment_sets_how_many_requests_a_worker_serves(production_key, monkeypatch):
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "5000")

    cfg = gunicorn_config()

    assert (cfg.max_requests, cfg.max_requests_jitter) == (5000, 500)


def test_the_environment_sets_workers_and_threads(production_key, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")

    cfg = gunicorn_config()

    assert (cfg.worker_class_str, cfg.workers, cfg.threads) == ("gthread", 3, 8)


def test_without_gunicorn_bind_it_listens_on_loopback_only(production_key, monkeypatch):
    """nginx in front is the only public listener: clients cannot reach gunicorn around it."""
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("PORT", raising=False)

    assert gunicorn_config().bind == ["127.0.0.1:8000"]


def test_port_and_gunicorn_bind_choose_another_address(production_key, monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.setenv("PORT", "5000")
    assert gunicorn_config().bind == ["127.0.0.1:5000"]

    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:5000")
    assert gunicorn_config().bind == ["0.0.0.0:5000"]
