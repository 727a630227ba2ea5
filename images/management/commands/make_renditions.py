from django.core.management.base import BaseCommand

from images.models import Image
from images.services import image_ensure_renditions


class Command(BaseCommand):
    help = "Make the renditions of library images that have none yet (older uploads)."

    def handle(self, *args, **options):
        count = 0
        for image in Image.objects.filter(renditions={}):
            image_ensure_renditions(image=image)
            count += 1
        self.stdout.write(f"Renditions made for {count} image(s).")
