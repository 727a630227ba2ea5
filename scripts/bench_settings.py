"""The production settings plus PublicPageCacheMiddleware right after WhiteNoise.

Only for `scripts/bench.py --edge-cache`: it measures what the proposed one-line
change to clinic/settings.py's MIDDLEWARE would give, next to the site as it is.
"""

from clinic.settings import *  # noqa: F403
from clinic.settings import MIDDLEWARE

_after = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
if "articles.middleware.PublicPageCacheMiddleware" not in MIDDLEWARE:
    MIDDLEWARE = [
        *MIDDLEWARE[:_after],
        "articles.middleware.PublicPageCacheMiddleware",
        *MIDDLEWARE[_after:],
    ]
