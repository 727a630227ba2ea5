"""Uploaded media, served by the app when SERVE_MEDIA is on (``make run``).

In production a web server or object storage serves MEDIA_URL instead
(docs/deployment.md). Only image files are served: an uploaded HTML or SVG
file could otherwise run script on our origin. Renditions are never
overwritten in place (their names follow the original), so they are cached
for a year; originals for a day.
"""

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

MEDIA_TYPES = {
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
YEAR = 60 * 60 * 24 * 365
DAY = 60 * 60 * 24


@require_safe
def media(request, path: str):
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    content_type = MEDIA_TYPES.get(suffix)
    if content_type is None or "\\" in path or "\x00" in path:
        raise Http404("Not an image.")
    try:
        if not default_storage.exists(path):
            raise Http404("No such file.")
        handle = default_storage.open(path, "rb")
    except (SuspiciousFileOperation, OSError, ValueError):
        raise Http404("No such file.") from None
    response = FileResponse(handle, content_type=content_type)
    lifetime = YEAR if path.startswith(("images/renditions/", "social/")) else DAY
    response["Cache-Control"] = f"public, max-age={lifetime}" + (
        ", immutable" if lifetime == YEAR else ""
    )
    return response
