"""Mixed load for `make bench`: readers, and bookers competing for the same popular times.

Run by scripts/mixed_load.py (about 50 users for 60 s against a local gunicorn);
by hand: `locust -f scripts/locustfile.py --headless -u 50 -r 10 -t 60s --host URL`.

- Readers (most users) open the home page, the article list, an article, a
  service page and the time picker, pausing like people do.
- Bookers go through the booking flow for dry needling with Maya: the time
  picker, the details form for one of the first three times offered (the
  popular ones, so they collide), then "Book". A booker who finds the time
  taken starts again. Each booker has their own address (X-Forwarded-For,
  the server runs with BEHIND_PROXY=true) and e-mail, as real patients do.

Requests are named by page type, so locust's statistics give the p99 of each;
the picker's X-Page-Cache answers are counted for its cache hit rate.
"""

import json
import os
import random
import re
from collections import Counter
from html import unescape

from locust import HttpUser, between, events, task

PICKER = "/book/time/?treatment=dry-needling&practitioner=maya-okafor"
ARTICLES = ["/articles/dry-needling-explained/", "/articles/"]
SERVICES = ["/services/dry-needling/", "/services/physiotherapy/", "/services/"]

picker_cache = Counter()
outcomes = Counter()
server_errors = Counter()


@events.request.add_listener
def _count_5xx(name, response=None, **kwargs):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        server_errors[f"{name} {response.status_code}"] += 1


def _address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


def _hidden(page: str) -> dict:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


# One simulated person in this many books (MIXED_LOAD_ONE_IN_BOOKS; 5 by default,
# 3 for the busy morning); the others read.
ONE_IN_BOOKS = max(2, int(os.environ.get("MIXED_LOAD_ONE_IN_BOOKS", "5")))


class Reader(HttpUser):
    weight = ONE_IN_BOOKS - 1
    wait_time = between(1, 3)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = _address()

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def article(self):
        self.client.get(random.choice(ARTICLES), name="articles")  # noqa: S311

    @task(2)
    def service(self):
        self.client.get(random.choice(SERVICES), name="services")  # noqa: S311

    @task(2)
    def picker(self):
        with self.client.get(PICKER, name="time picker", catch_response=True) as response:
            picker_cache[response.headers.get("X-Page-Cache", "none")] += 1


class Booker(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = _address()
        self.number = random.randint(1, 10**9)  # noqa: S311

    def _picker(self, url: str) -> str:
        with self.client.get(url, name="time picker", catch_response=True) as response:
            picker_cache[response.headers.get("X-Page-Cache", "none")] += 1
            return response.text or ""

    @task
    def book(self):
        page = self._picker(PICKER)
        links = re.findall(r'href="(/book/details/\?[^"]+)"', page)
        if not links:
            # The first days are full: go to the nearest day with times, as a person would.
            nearest = re.search(r'__nearest">[^<]*<a href="([^"]+)"', page)
            if nearest is None:
                outcomes["nothing to book"] += 1
                return
            page = self._picker(unescape(nearest.group(1)).split("#")[0])
            links = re.findall(r'href="(/book/details/\?[^"]+)"', page)
        if not links:
            outcomes["nothing to book"] += 1
            return
        details_url = unescape(random.choice(links[:3]))  # noqa: S311 - the popular times
        page = self.client.get(details_url, name="details form")
        if page.status_code != 200 or "csrfmiddlewaretoken" not in page.text:
            outcomes["time gone before the form"] += 1
            return
        self._wait_like_a_person()
        self.number += 1
        form = {
            **_hidden(page.text),
            "name": "Load Test",
            "email": f"load{self.number}@example.com",
            "phone": "07700 900123",
            "patient_type": "new",
            "consent": "on",
            "website": "",
            # Each intake form asked as a list: "None of these apply to me".
            **{name: "on" for name in re.findall(r'name="(intake-[a-z0-9-]+-none)"', page.text)},
        }
        review = self.client.post(
            details_url, form, name="details sent", headers={"Referer": page.url}
        )
        if review.status_code != 200 or "Check and book" not in review.text:
            outcomes[f"details answered {review.status_code}"] += 1
            return
        with self.client.post(
            "/book/confirm/",
            _hidden(review.text),
            name="book",
            headers={"Referer": review.url},
            allow_redirects=False,
            catch_response=True,
        ) as booked:
            if booked.status_code in (302, 409, 429):
                booked.success()  # booked, taken by someone else, or over the limit
            outcomes[
                {302: "booked", 409: "taken", 429: "over the limit"}.get(
                    booked.status_code, f"book answered {booked.status_code}"
                )
            ] += 1

    def _wait_like_a_person(self):
        # The details form is refused when sent back faster than a person types.
        import gevent

        gevent.sleep(3.2)


@events.quitting.add_listener
def _report(environment, **kwargs):
    summary = {
        "picker_cache": dict(picker_cache),
        "booking_outcomes": dict(outcomes),
        "server_errors": dict(server_errors),
    }
    if path := os.environ.get("MIXED_LOAD_SUMMARY"):
        with open(path, "w") as out:
            json.dump(summary, out)
    print(json.dumps(summary))
