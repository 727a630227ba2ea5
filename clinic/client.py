"""The address of the person making a request, for rate limits and login lockouts.

Directly exposed, it is the socket's address. Behind BEHIND_PROXY_COUNT
proxies (BEHIND_PROXY=true), each of which appends the address it saw to
X-Forwarded-For, the client is the entry that the outermost of them added:
the n-th from the right. Anything further left was written by the client and
proves nothing. A request that passed fewer proxies than configured did not
come through them; its socket address is all we know.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address, or None when there is no valid one (as django-axes expects)."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    if not settings.BEHIND_PROXY:
        return remote
    count = max(settings.BEHIND_PROXY_COUNT, 1)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    return _valid(hops[-count]) or remote
