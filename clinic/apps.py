from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = _("Clinic")

    def ready(self):
        from clinic import checks  # noqa: F401 - registers the deployment checks
        from clinic.identity import forget_clinic_when_an_image_changes
        from images.signals import image_changed

        # The image library sits below the clinic app and does not import it;
        # it says when a picture changed, and the clinic forgets what showed it.
        image_changed.connect(
            forget_clinic_when_an_image_changes, dispatch_uid="clinic.forget_on_image_change"
        )
