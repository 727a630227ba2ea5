from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Load the demo clinic: each installed app's demo.load(). Safe to run again: "
        "nothing is duplicated and nothing staff changed is overwritten."
    )

    def handle(self, *args, **options):
        # Apps load in INSTALLED_APPS order, so content can refer to booking's records.
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            import_module(module_name).load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
