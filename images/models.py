"""The image library: every picture the site shows, with its text alternative.

An image is uploaded once; its renditions (several widths in AVIF, WebP and
JPEG, plus a 1200×630 crop for sharing) are made once by
``images.services.image_save`` and kept in Django's default storage.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Image(models.Model):
    file = models.ImageField(
        _("file"),
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
        help_text=_("A JPEG, PNG or WebP photo or illustration, at least 1200 pixels wide."),
    )
    alt_text = models.CharField(
        _("text alternative"),
        max_length=250,
        blank=True,
        help_text=_(
            "What the image shows, for people who cannot see it. "
            "Required unless the image is decorative."
        ),
    )
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_("Adds nothing the page's text does not say; screen readers skip it."),
    )
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    credit = models.CharField(
        _("credit"), max_length=200, blank=True, help_text=_("Who made or owns the image.")
    )
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    # {"key": "<storage prefix>", "widths": [320, 640, ...], "social": true}:
    # each rendition's name follows from the key (see images/rendering.py).
    renditions = models.JSONField(_("renditions"), default=dict, blank=True, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decorative=True) | ~Q(alt_text=""),
                name="image_alt_text_or_decorative",
            ),
        ]

    def __str__(self):
        label = self.alt_text or self.caption or self.file.name.rsplit("/", 1)[-1]
        return label[:80]

    @property
    def alt(self) -> str:
        """The ``alt`` attribute: empty for a decorative image."""
        return "" if self.decorative else self.alt_text
