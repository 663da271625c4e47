"""Text that both databases store as it was sent: no control characters and no unpaired surrogates.

PostgreSQL refuses a NUL in any text, and neither database can encode half of a UTF-16
surrogate pair, which a JSON `"\\ud800"` escape decodes to in Python. The other control
characters are stored fine but have no business in a path, a source or a browser name.
"""

import re

# C0 controls (NUL included), DEL, C1 controls, and surrogates, which UTF-8 cannot encode on their own.
UNSTORABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


def printable(text: str) -> str:
    """The text without its control characters and unpaired surrogates."""
    return UNSTORABLE.sub("", text)
