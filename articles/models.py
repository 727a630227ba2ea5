"""The clinic's published content: articles, service pages and condition pages.

Each is edited by staff in admin like a small CMS. Drafts and items dated in the
future are never public: every public read goes through ``.published(now=...)``.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A long article is a few thousand words; anything far beyond that is a paste
# accident or an attack on the renderer.
MAX_BODY_CHARS = 60_000
WORDS_PER_MINUTE = 200
REVIEW_INTERVAL = timedelta(days=365)
SEARCH_CONFIG = "english"


def reading_minutes(text: str) -> int:
    """Whole minutes to read ``text`` at an unhurried pace; at least one."""
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))


def weighted_search_vector(*weighted_fields):
    """title → A, summary → B, body → C: the stored, GIN-indexed search document."""
    vector = None
    for field, weight in weighted_fields:
        part = SearchVector(field, weight=weight, config=SEARCH_CONFIG)
        vector = part if vector is None else vector + part
    return vector


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishableQuerySet(models.QuerySet):
    def published(self, *, now=None):
        now = now or timezone.now()
        return self.filter(status=Status.PUBLISHED, published_at__lte=now)


class Publishable(models.Model):
    """Fields every public page shares: address, search-engine text, lead image and status."""

    # The Markdown fields of the page, rendered through articles/markdown.py.
    markdown_fields: tuple[str, ...] = ()
    # The other fields a revision keeps; restoring one brings back all but
    # the publishing fields (status and publish date are changed on purpose).
    text_fields: tuple[str, ...] = ("title", "slug", "summary", "seo_title", "seo_description")
    publishing_fields: tuple[str, ...] = ("status", "published_at")
    # The URL name of the page's public address, which takes its slug.
    detail_url_name: str = ""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    seo_title = models.CharField(
        _("SEO title"),
        max_length=70,
        blank=True,
        help_text=_("Shown in search results and browser tabs. Empty: the title."),
    )
    seo_description = models.CharField(
        _("SEO description"),
        max_length=200,
        blank=True,
        help_text=_("One or two sentences for search results. Empty: the summary."),
    )
    lead_image = models.ForeignKey(
        "images.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead image"),
        help_text=_(
            "From the image library, with its text alternative. Shown at the top of the "
            "page, on cards and when the page is shared. Empty: a card with the title."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("publish date"),
        null=True,
        blank=True,
        help_text=_("Hidden from the public until this moment. Required to publish."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(self.detail_url_name, kwargs={"slug": self.slug})

    @property
    def page_title(self) -> str:
        return self.seo_title or self.title

    @property
    def description(self) -> str:
        return self.seo_description or self.summary

    @classmethod
    def revision_fields(cls) -> tuple[str, ...]:
        return (*cls.text_fields, *cls.markdown_fields, *cls.publishing_fields)

    @classmethod
    def restorable_fields(cls) -> tuple[str, ...]:
        return (*cls.text_fields, *cls.markdown_fields)

    def is_scheduled(self, *, now=None) -> bool:
        """Published with a publish date still ahead: public once the date comes."""
        now = now or timezone.now()
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > now
        )

    def is_public(self, *, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
        )


def _status_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(status__in=Status.values), name=f"{prefix}_status_valid"
        ),
        models.CheckConstraint(
            condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
            name=f"{prefix}_published_has_date",
        ),
    ]


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:article_list") + f"?topic={self.slug}"


class ServicePage(Publishable):
    """A treatment the clinic offers, with a link that books exactly that treatment."""

    markdown_fields = ("what_it_is", "who_it_helps", "what_to_expect")
    detail_url_name = "articles:service_detail"
    text_fields = (*Publishable.text_fields, "duration_and_price")

    treatment = models.ForeignKey(
        "booking.Treatment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_pages",
        verbose_name=_("bookable treatment"),
        help_text=_("The treatment the 'Book this treatment' button preselects."),
    )
    summary = models.CharField(_("summary"), max_length=300)
    what_it_is = models.TextField(_("what it is"), help_text=_("Markdown."))
    who_it_helps = models.TextField(_("who it helps"), help_text=_("Markdown."))
    what_to_expect = models.TextField(_("what a session is like"), help_text=_("Markdown."))
    duration_and_price = models.CharField(
        _("duration and price"),
        max_length=200,
        help_text=_("For example: 45 minutes · £65"),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    search_vector = models.GeneratedField(
        expression=weighted_search_vector(
            ("title", "A"), ("summary", "B"), ("what_it_is", "C"), ("who_it_helps", "C")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("service page")
        verbose_name_plural = _("service pages")
        ordering = ["sort_order", "title"]
        constraints = _status_constraints("servicepage")
        indexes = [GinIndex(fields=["search_vector"], name="servicepage_search_gin")]

    @property
    def booking_url(self) -> str:
        url = reverse("booking:start")
        if self.treatment_id:
            return f"{url}?treatment={self.treatment.slug}"
        return url


class ConditionPage(Publishable):
    """A painful area patients search for: shoulder, neck, back, heel, hip."""

    markdown_fields = ("overview",)
    detail_url_name = "articles:condition_detail"

    summary = models.CharField(_("summary"), max_length=300)
    overview = models.TextField(_("overview"), help_text=_("Markdown."))
    services = models.ManyToManyField(
        ServicePage, blank=True, related_name="conditions", verbose_name=_("related services")
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    search_vector = models.GeneratedField(
        expression=weighted_search_vector(("title", "A"), ("summary", "B"), ("overview", "C")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("condition page")
        verbose_name_plural = _("condition pages")
        ordering = ["sort_order", "title"]
        constraints = _status_constraints("conditionpage")
        indexes = [GinIndex(fields=["search_vector"], name="conditionpage_search_gin")]


def _practitioner_field(*, related_name: str, verbose_name) -> models.ForeignKey:
    """An article's link to a practitioner, kept empty if they leave the team."""
    return models.ForeignKey(
        "booking.Practitioner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class Article(Publishable):
    markdown_fields = ("body",)
    detail_url_name = "articles:article_detail"

    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("Shown in lists, feeds and search results.")
    )
    body = models.TextField(
        _("body"),
        validators=[MaxLengthValidator(MAX_BODY_CHARS)],
        help_text=_(
            "Markdown: ## headings, lists, **bold**, [links](https://…). "
            "Scripts and raw HTML event handlers are removed."
        ),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="articles", verbose_name=_("topics")
    )
    services = models.ManyToManyField(
        ServicePage, blank=True, related_name="articles", verbose_name=_("related services")
    )
    conditions = models.ManyToManyField(
        ConditionPage, blank=True, related_name="articles", verbose_name=_("related conditions")
    )
    author = _practitioner_field(related_name="authored_articles", verbose_name=_("author"))
    reviewer = _practitioner_field(
        related_name="reviewed_articles", verbose_name=_("medical reviewer")
    )
    last_reviewed = models.DateField(
        _("last reviewed"),
        null=True,
        blank=True,
        help_text=_("When the medical reviewer last checked the article. Review yearly."),
    )
    search_vector = models.GeneratedField(
        expression=weighted_search_vector(("title", "A"), ("summary", "B"), ("body", "C")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-pk"]
        constraints = [
            *_status_constraints("article"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MAX_BODY_CHARS),
                name="article_body_not_huge",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="article_search_gin"),
            models.Index(fields=["status", "-published_at"], name="article_public_listing"),
        ]

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.body)

    def review_is_overdue(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.last_reviewed is None or self.last_reviewed < today - REVIEW_INTERVAL


class RevisionKind(models.TextChoices):
    ORIGINAL = "original", _("Text before the first recorded change")
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")
    RESTORED = "restored", _("Restored an earlier revision")


class Revision(models.Model):
    """A page's text as it stood after one change: who, when and which fields changed.

    Written only by articles/services.py, for articles, service pages and
    condition pages alike.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("kind of page")
    )
    object_id = models.PositiveBigIntegerField(_("page id"))
    item = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("change"), max_length=12, choices=RevisionKind.choices)
    created_at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The revision fields (Publishable.revision_fields) after the change.
    data = models.JSONField(_("text"))
    changed = models.JSONField(_("fields changed"), default=list, blank=True)
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored from"),
    )

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RevisionKind.values), name="revision_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-created_at"], name="revision_by_page"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class ContentRedirect(models.Model):
    """An address a published page had before its slug changed.

    It points at the page itself, not at a path, so a page renamed twice
    sends both old addresses straight to its current one (no chains), and an
    old address answers only while its page is public (never to a draft).
    """

    old_path = models.CharField(_("old address"), max_length=300, unique=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("kind of page")
    )
    object_id = models.PositiveBigIntegerField(_("page id"))
    item = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("redirect from an old address")
        verbose_name_plural = _("redirects from old addresses")
        ordering = ["old_path"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="redirect_by_page"),
        ]

    def __str__(self):
        return self.old_path
