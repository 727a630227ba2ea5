"""Input that PostgreSQL cannot store, answered as the visitor's mistake."""

from django.core.exceptions import BadRequest
from django.db import DataError

# psycopg refuses NUL in text parameters before anything reaches the server.
_NUL_REFUSED = "cannot contain NUL (0x00) bytes"


class UnstorableInputMiddleware:
    """A NUL byte that reaches a query (a filter in a query string, an admin list
    filter) is a bad request, not a server error: 400, and nothing was written.

    Views that read their parameters carefully answer such values themselves,
    with a message; this catches the ones that pass a value to the ORM as it is
    (Django admin's list filters among them).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError) and _NUL_REFUSED in str(exception):
            raise BadRequest("A NUL byte in the request's input.") from exception
        return None
