from urllib.parse import urlsplit


def normalize_domain(value: str) -> str:
    """Reduce a domain or URL to its bare host: lowercase, no scheme, path, port, trailing dot or leading www."""
    text = (value or "").strip().lower()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host
