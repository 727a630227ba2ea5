"""The production settings without PublicPageCacheMiddleware.

Only for `scripts/bench.py --view-cache-only`: it measures the page cache in the
view alone, to show what the middleware right after WhiteNoise adds.
"""

from clinic.settings import *  # noqa: F403
from clinic.settings import MIDDLEWARE

MIDDLEWARE = [name for name in MIDDLEWARE if name != "clinic.page_cache.PublicPageCacheMiddleware"]
