import email
import email.policy
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

# This engineer's port range for private servers; the first free one is taken.
SMTP_PORTS = range(2525, 2536)


@dataclass
class Inbox:
    """What a real SMTP server received, parsed: the tests read the messages as a mail client would."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """An aiosmtpd server in this process, on the first free port of the range."""
    inbox = Inbox()
    for port in SMTP_PORTS:
        controller = Controller(inbox, hostname=inbox.host, port=port)
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        inbox.port = port
        break
    else:
        pytest.fail(f"no free port for the SMTP server in {SMTP_PORTS}")
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Glimpse configured through EMAIL_URL's settings as a deployment would be, pointing at `smtp_server`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return settings
