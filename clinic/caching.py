"""Moved to clinic/page_cache.py. This name is kept only for booking/caching.py,
which is being restructured apart; delete it once booking imports clinic.page_cache."""

from clinic.page_cache import GENERATION_KEY, bump_generation, cached_page, generations

__all__ = ["GENERATION_KEY", "bump_generation", "cached_page", "generations"]
