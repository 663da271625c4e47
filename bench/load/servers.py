"""Start and stop the production topology on the loopback interface: nginx (from deploy/nginx) in front of gunicorn.

gunicorn runs the Procfile's web command, bound to 127.0.0.1. nginx runs as an
ordinary process from a prefix directory of its own (pid, logs, temporary files),
with the repository's configuration rewritten only where paths and addresses differ.

Run nginx alone in front of a gunicorn that is already listening, until Ctrl-C:

    .venv/bin/python -m bench.load.servers --port 8080 --upstream-port 8000
"""

import argparse
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIRECTORY = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def procfile_web_command(*, port: int, wsgi_app: str | None = None) -> list[str]:
    """The Procfile's `web:` command, run by this Python and bound to 127.0.0.1:`port` instead of every interface;
    `wsgi_app` (`module:name`) serves another application with the same configuration."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    words = shlex.split(line.removeprefix("web:"))
    if words[0] != "gunicorn":
        sys.exit(f"The Procfile's web command does not start gunicorn: {line}")
    for bound in [word for word in words if word == "--bind" or word.startswith(("--bind=", "-b"))]:
        if bound == "--bind":
            index = words.index("--bind")
            del words[index : index + 2]
        else:
            words.remove(bound)
    # A --bind on the command line overrides the config file's (GUNICORN_BIND or every interface).
    return [sys.executable, "-m", "gunicorn", *words[1:], f"--bind=127.0.0.1:{port}", *([wsgi_app] if wsgi_app else [])]


def bench_secret_key() -> str:
    """The production config refuses to start without a secret key of its own: a bench uses the environment's
    key, or a throwaway one."""
    return os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)


def start_gunicorn(
    *, port: int, environment: dict[str, str], log_path: Path, wsgi_app: str | None = None
) -> subprocess.Popen:
    """gunicorn as the Procfile starts it, its output (errors and app logs) appended to `log_path`."""
    log = log_path.open("ab")
    environment = {**environment, "SECRET_KEY": environment.get("SECRET_KEY") or bench_secret_key()}
    server = subprocess.Popen(
        procfile_web_command(port=port, wsgi_app=wsgi_app),
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    wait_until_up(port=port, process=server, log_path=log_path)
    return server


def replace_line(text: str, old: str, new: str) -> str:
    """Replace a whole configuration line, which must appear exactly once: the shipped file is used as it is."""
    pattern = re.compile(rf"^([ \t]*){re.escape(old)}$", re.MULTILINE)
    matches = pattern.findall(text)
    if len(matches) != 1:
        sys.exit(f"deploy/nginx: expected the line {old!r} once, found it {len(matches)} times")
    return pattern.sub(lambda match: "\n".join(match.group(1) + part for part in new.splitlines()) if new else "", text)


def write_nginx_config(*, prefix: Path, port: int, upstream_port: int) -> Path:
    """deploy/nginx's two files, rewritten to run unprivileged from `prefix` on 127.0.0.1:`port`; returns nginx.conf."""
    for name in TEMP_PATHS:
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    # Run as root, nginx's workers run as an unprivileged user: they must reach the temporary files.
    prefix.chmod(0o755)
    site = (NGINX_DIRECTORY / "glimpse.conf").read_text()
    site = replace_line(
        site, "server 127.0.0.1:8000 fail_timeout=0;", f"server 127.0.0.1:{upstream_port} fail_timeout=0;"
    )
    site = replace_line(site, "listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")
    site = replace_line(site, "listen [::]:80 default_server;", "")
    site = replace_line(site, "listen 80;", f"listen 127.0.0.1:{port};")
    site = replace_line(site, "listen [::]:80;", "")
    site = replace_line(site, "server_name glimpse.example.com;", "server_name 127.0.0.1 localhost;")
    site = replace_line(
        site, "access_log /var/log/nginx/glimpse-access.log glimpse;", f"access_log {prefix}/access.log glimpse;"
    )
    # Locally, the error log (in the throwaway prefix) keeps upstream failures: the drills read it.
    site = replace_line(
        site, "error_log /var/log/nginx/glimpse-error.log crit;", f"error_log {prefix}/error.log error;"
    )
    (prefix / "glimpse.conf").write_text(site)

    main = (NGINX_DIRECTORY / "nginx.conf").read_text()
    main = replace_line(main, "user www-data;", "daemon off;")
    main = replace_line(main, "pid /run/nginx.pid;", f"pid {prefix}/nginx.pid;")
    main = replace_line(main, "error_log /var/log/nginx/error.log;", f"error_log {prefix}/error.log;")
    main = replace_line(main, "include /etc/nginx/modules-enabled/*.conf;", "")
    temp_paths = "\n".join(f"{name}_temp_path {prefix}/temp/{name};" for name in TEMP_PATHS)
    main = replace_line(main, "include /etc/nginx/sites-enabled/*;", f"{temp_paths}\ninclude {prefix}/glimpse.conf;")
    (prefix / "nginx.conf").write_text(main)
    return prefix / "nginx.conf"


def start_nginx(*, prefix: Path, port: int, upstream_port: int) -> subprocess.Popen:
    config = write_nginx_config(prefix=prefix, port=port, upstream_port=upstream_port)
    checked = subprocess.run([NGINX, "-t", "-q", "-p", str(prefix), "-c", str(config)], capture_output=True, text=True)
    if checked.returncode != 0:
        sys.exit(f"nginx -t failed:\n{checked.stderr}")
    server = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(config)], stderr=subprocess.DEVNULL)
    wait_until_up(port=port, process=server, log_path=prefix / "error.log")
    return server


def wait_until_up(*, port: int, process: subprocess.Popen, log_path: Path, seconds: float = 30) -> None:
    """Wait for any HTTP answer on 127.0.0.1:`port` (a 4xx is an answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/public/stats", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
    sys.exit(f"The server on 127.0.0.1:{port} did not come up.\n{tail}")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM (graceful for gunicorn, fast for nginx), then SIGKILL if it is still there after 15 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run deploy/nginx unprivileged on 127.0.0.1 in front of gunicorn.")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens on 127.0.0.1 (default 8080)")
    parser.add_argument("--upstream-port", type=int, default=8000, help="gunicorn on 127.0.0.1 (default 8000)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glimpse-nginx-") as directory:
        prefix = Path(directory)
        config = write_nginx_config(prefix=prefix, port=options.port, upstream_port=options.upstream_port)
        print(f"{NGINX} -p {prefix} -c {config}   (Ctrl-C stops it; access log in {prefix}/access.log)")
        server = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(config)])
        try:
            server.wait()
        except KeyboardInterrupt:
            stop(server)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
