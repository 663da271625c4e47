"""Locking out password guessing on the admin login (django-axes).

Failures are counted per username *and* client address, in the database, so every
gunicorn worker sees the same count and an attacker guessing one owner's password from
one address cannot lock that owner out from anywhere else. The address comes from
`analytics.client_ip.client_ip`, the rule the rate limits and visitor counting use
(X-Forwarded-For only as far as our own proxies), so a forged header cannot reset the count.
"""

import time

from axes.backends import AxesStandaloneBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from config.login_networks import pause_for


class AxesBackendForWebLogins(AxesStandaloneBackend):
    """axes' check on every login that comes with a request; none on those that come without.

    A login over HTTP always brings its request: Django's login form passes it to
    `authenticate()`, and the form is the only way in from outside. Calls without one
    are made in-process (the test client's `login()`, a shell); axes would refuse them
    with an exception, and it could not count them by address anyway. They are left to
    the ModelBackend, which still checks the password.

    Before axes' own check comes the network's count of failed sign-ins across every username
    (`config.login_networks`): over it, the attempt stops here and no password is checked.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        pause = pause_for(request, now=time.time())
        if pause is not None:
            request.login_pause = pause
            raise PermissionDenied("Sign-in is paused for this network")
        return super().authenticate(request, username=username, password=password, **kwargs)
