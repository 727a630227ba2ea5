"""List every internal link in published content that leads nowhere (as admin does)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles.broken_links import broken_links


class Command(BaseCommand):
    help = (
        "Check every internal link in published articles, service and condition pages; "
        "list the broken ones and exit with status 1 when there are any."
    )

    def handle(self, *args, **options):
        broken = broken_links(now=timezone.now())
        for link in broken:
            self.stdout.write(
                f"{link.page.title} ({link.page._meta.verbose_name}, {link.field_label}): "
                f"{link.url}: {link.reason}"
            )
        if broken:
            raise CommandError(f"{len(broken)} broken internal link(s).")
        self.stdout.write(self.style.SUCCESS("Every internal link leads to a page."))
