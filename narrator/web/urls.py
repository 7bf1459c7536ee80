"""URLs: which ones narrator fetches, and when two of them name one article.

The identity key of a web article is its canonical URL (the page's ``<link rel=canonical>``,
else the URL it was finally fetched from) normalised by :func:`normalize_url`: the same page
added twice, reached through two feeds, or with tracking parameters is one article. The rule
fails where a site serves one article under two canonical URLs that differ in more than
case of the host, default port, fragment, tracking parameters or parameter order.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from narrator.errors import NarratorError

__all__ = ["ALLOWED_SCHEMES", "TRACKING_PARAMETERS", "check_url", "is_tracking", "normalize_url"]

ALLOWED_SCHEMES = ("http", "https")
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc"}
)
"""Query parameters that only say where a reader came from (``utm_*`` too)."""
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """Whether a query parameter only tracks the reader (``utm_source``, ``fbclid``, ...)."""
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


def check_url(url: str) -> str:
    """``url`` stripped of surrounding space if narrator may fetch it, else a NarratorError.

    Only absolute ``http``/``https`` URLs with a host: ``file:``, ``ftp:``, ``javascript:``
    and ``data:`` URLs are refused, so a page (or a redirect) cannot make narrator read a
    local file or run anything.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise NarratorError("not a valid URL", path=url, hint=str(exc)) from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        scheme = parts.scheme or "(none)"
        raise NarratorError(
            f"unsupported URL scheme {scheme!r}",
            path=url,
            hint="narrator fetches only http:// and https:// URLs",
        )
    if not parts.hostname:
        raise NarratorError("URL has no host", path=url, hint="for example https://example.com/")
    return url


def normalize_url(url: str) -> str:
    """The identity form of an http(s) URL.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters, the
    remaining query parameters sorted, an empty path as ``/``. Path case and trailing
    slashes are kept: servers may tell them apart.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(query)), ""))
