"""Walk the public site with the test client the way a visitor without JavaScript would.

Starting from the home page, the walker follows every link on the site and
sends every form once, filling in what a person must (required fields) and
nothing they would not see (the bots' honeypot stays empty). It stops at a
few pages per URL name, so thirty articles cost no more than three, yet the
booking steps are reached one after another: treatment, practitioner, time,
details, review, confirmation, then the private manage pages.
"""

from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.urls import Resolver404, resolve

# Scripts the browser never runs: data blocks (structured data for search engines).
DATA_BLOCK_TYPES = {"application/ld+json"}
SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/")
SKIPPED_SUFFIXES = (".xml", ".txt", ".ics", "/feed/", ".ico")

SAMPLE_TEXT = {
    "email": "sam.patel@example.com",
    "tel": "07700 900123",
}


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Page:
    url: str
    status: int
    view_name: str
    csp: str
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Links, forms and every piece of code that would run inline."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.problems: list[str] = []
        self._script: dict | None = None
        self._script_text: list[str] = []
        self._radios: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: tuple[str, bool] | None = None

    # Inline code ------------------------------------------------------------

    def _check_attributes(self, tag, attrs):
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            elif name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (an inline event handler)")
            elif name in {"href", "src", "action", "formaction"} and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_starttag(self, tag, attr_list):
        attrs = dict(attr_list)
        self._check_attributes(tag, attrs)
        if tag == "style":
            self.problems.append("<style> element")
        elif tag == "script":
            self._script, self._script_text = attrs, []
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self.forms.append(
                Form(method=(attrs.get("method") or "get").lower(), action=attrs.get("action", ""))
            )
            self._radios = {}
        elif self.forms:
            self._form_control(tag, attrs)

    def handle_startendtag(self, tag, attr_list):
        self.handle_starttag(tag, attr_list)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
        if self._textarea is not None:
            name, required = self._textarea
            self.forms[-1].fields.append((name, data.strip() or self._sample(name, required)))
            self._textarea = None

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            attrs, text = self._script, "".join(self._script_text).strip()
            if (attrs.get("type") or "").lower() not in DATA_BLOCK_TYPES and (
                text or not attrs.get("src")
            ):
                self.problems.append(f"inline <script {attrs}>{text[:60]}</script>")
            self._script = None
        elif tag == "textarea" and self._textarea is not None:
            name, required = self._textarea
            self.forms[-1].fields.append((name, self._sample(name, required)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self.forms[-1].fields.append((self._select, self._select_value or ""))
            self._select = None

    # Forms ------------------------------------------------------------------

    @staticmethod
    def _sample(name: str, required: bool, kind: str = "text") -> str:
        if kind == "search" or name == "q":
            return "neck"
        if not required:
            return ""
        if kind in SAMPLE_TEXT:
            return SAMPLE_TEXT[kind]
        return "Sam Patel" if "name" in name else "A stiff neck for two weeks."

    def _form_control(self, tag, attrs):
        form, name = self.forms[-1], attrs.get("name")
        if tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in attrs:
                self._select_value = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = (name, "required" in attrs)
        elif tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            value = attrs.get("value")
            if kind == "radio":
                if name not in self._radios or "checked" in attrs:
                    if name in self._radios:
                        form.fields.remove((name, self._radios[name]))
                    self._radios[name] = value or "on"
                    form.fields.append((name, self._radios[name]))
            elif kind == "checkbox":
                # An intake form's "None of these apply to me" box stands for the answer
                # a person must give when nothing applies (the safety questions).
                if "required" in attrs or "checked" in attrs or name.endswith("-none"):
                    form.fields.append((name, value or "on"))
            elif kind in {"submit", "button", "image", "reset", "file"}:
                return
            elif kind == "hidden" or value:
                form.fields.append((name, value or ""))
            else:
                form.fields.append((name, self._sample(name, "required" in attrs, kind)))


def _view_name(path: str) -> str:
    try:
        return resolve(path).view_name or path
    except Resolver404:
        return "not-found"


def _internal(base: str, href: str) -> str | None:
    """The site-relative URL of a link worth following, or None."""
    if href.strip().startswith("#"):
        return None  # a place on the page already shown, not a new request
    url = urljoin(base, href.strip())
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.netloc not in {"testserver", ""}:
        return None
    if parts.path.startswith(SKIPPED_PREFIXES) or parts.path.endswith(SKIPPED_SUFFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Walk:
    pages: list[Page]

    @property
    def view_names(self) -> set[str]:
        return {page.view_name for page in self.pages}

    def problems(self) -> list[str]:
        return [f"{page.url}: {problem}" for page in self.pages for problem in page.problems]


def walk(
    client, *, start: tuple[str, ...] = ("/",), per_view: int = 3, max_pages: int = 250
) -> Walk:
    """Visit the site from `start`: each URL name at most `per_view` times, by link or form."""
    # (method, url, form data, whether it is the answer to a form and must be shown again)
    queue: deque[tuple[str, str, list, bool]] = deque(("get", url, [], False) for url in start)
    done: set[tuple[str, str, str]] = set()
    per_name: Counter = Counter()
    pages: list[Page] = []
    while queue and len(pages) < max_pages:
        method, url, data, redirected = queue.popleft()
        key = (method, url, urlencode(data))
        if key in done and not redirected:
            continue
        done.add(key)
        response = client.post(url, dict(_grouped(data))) if method == "post" else client.get(url)
        if response.status_code in {301, 302, 303, 307, 308}:
            target = _internal("http://testserver" + url, response["Location"])
            if target:
                queue.appendleft(("get", target, [], True))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _PageParser()
        parser.feed(response.content.decode())
        parser.close()
        path = urlsplit(url).path
        page = Page(
            url=f"{method.upper()} {url}",
            status=response.status_code,
            view_name=_view_name(path),
            csp=response.get("Content-Security-Policy", ""),
            links=parser.links,
            forms=parser.forms,
            problems=parser.problems,
        )
        pages.append(page)
        base = "http://testserver" + url
        for href in parser.links:
            target = _internal(base, href)
            if target and _take(per_name, ("get", _view_name(urlsplit(target).path)), per_view):
                queue.append(("get", target, [], False))
        for form in parser.forms:
            target = _internal(base, form.action or url)
            if not target:
                continue
            name = _view_name(urlsplit(target).path)
            if not _take(per_name, (form.method, name), per_view):
                continue
            if form.method == "post":
                queue.append(("post", target, form.fields, False))
            else:
                query = urlencode(form.fields)
                query_url = urlsplit(target).path + (f"?{query}" if query else "")
                queue.append(("get", query_url, [], False))
    return Walk(pages=pages)


def _take(counter: Counter, key, limit: int) -> bool:
    if counter[key] >= limit:
        return False
    counter[key] += 1
    return True


def _grouped(fields: list[tuple[str, str]]):
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped.items()
