from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Load the demo clinic: each installed app's demo.load(), then any "
        "demo.load_showcase() (records that show a feature, such as a fully booked "
        "day for the waitlist). Safe to run again: nothing is duplicated and nothing "
        "staff changed is overwritten."
    )

    def handle(self, *args, **options):
        # Apps load in INSTALLED_APPS order, so content can refer to booking's records.
        modules = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            modules.append(import_module(module_name))
            modules[-1].load(stdout=self.stdout)
        # Showcases come last and only here: tests load an app's demo without them.
        for module in modules:
            if hasattr(module, "load_showcase"):
                module.load_showcase(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
