from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from articles import services
from articles.models import (
    MAX_BODY_CHARS,
    REVIEW_INTERVAL,
    Article,
    ConditionPage,
    ServicePage,
    Status,
    Topic,
)


class PublishableForm(forms.ModelForm):
    """Mirrors the database constraints with errors next to the field."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Status.PUBLISHED and not cleaned.get("published_at"):
            self.add_error(
                "published_at", _("Set a publish date (now or later) to publish this page.")
            )
        return cleaned


class ArticleForm(PublishableForm):
    def clean_body(self):
        body = self.cleaned_data["body"]
        if len(body) > MAX_BODY_CHARS:
            raise forms.ValidationError(
                _("The body is %(count)s characters long; keep it under %(max)s."),
                params={"count": len(body), "max": MAX_BODY_CHARS},
            )
        return body


class ContentAdmin(admin.ModelAdmin):
    """Every content change makes cached pages stale once it commits."""

    list_display = ["title", "status", "published_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    actions = ["publish_selected", "unpublish_selected"]
    readonly_fields = ["preview_link"]
    preview_kind = ""
    form = PublishableForm

    def view_on_site(self, obj):
        # Drafts have no public address yet: open the staff preview instead.
        if obj.is_public():
            return obj.get_absolute_url()
        return reverse("articles:preview", kwargs={"kind": self.preview_kind, "slug": obj.slug})

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        if obj is None or not obj.pk:
            return _("Save the page first to preview it.")
        url = reverse("articles:preview", kwargs={"kind": self.preview_kind, "slug": obj.slug})
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            _("Preview exactly as patients will see it"),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.content_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.content_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.content_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.content_changed()

    @admin.action(description=_("Publish selected pages"))
    def publish_selected(self, request, queryset):
        now = timezone.now()
        for item in queryset:
            services.content_publish(item=item, now=now)
        self.message_user(request, _("Published."), messages.SUCCESS)

    @admin.action(description=_("Unpublish selected pages (back to draft)"))
    def unpublish_selected(self, request, queryset):
        for item in queryset.filter(status=Status.PUBLISHED):
            services.content_unpublish(item=item)
        self.message_user(request, _("Moved back to draft."), messages.SUCCESS)


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = _("medical review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue (over 12 months or never)")),
            ("current", _("Reviewed in the last 12 months")),
        ]

    def queryset(self, request, queryset):
        cutoff = timezone.localdate() - REVIEW_INTERVAL
        overdue = Q(last_reviewed__isnull=True) | Q(last_reviewed__lt=cutoff)
        if self.value() == "overdue":
            return queryset.filter(overdue)
        if self.value() == "current":
            return queryset.exclude(overdue)
        return queryset


@admin.register(Article)
class ArticleAdmin(ContentAdmin):
    form = ArticleForm
    preview_kind = "article"
    list_display = [
        "title",
        "status",
        "published_at",
        "author",
        "reviewer",
        "last_reviewed",
        "review_overdue",
    ]
    list_filter = ["status", ReviewOverdueFilter, "topics", "author"]
    list_select_related = ["author", "reviewer"]
    search_fields = ["title", "summary", "body"]
    filter_horizontal = ["topics", "services", "conditions"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "preview_link"]}),
        (_("Image"), {"fields": ["lead_image"]}),
        (_("Publishing"), {"fields": ["status", "published_at"]}),
        (_("Medical review"), {"fields": ["author", "reviewer", "last_reviewed"]}),
        (_("Links"), {"fields": ["topics", "services", "conditions"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"]}),
    ]

    @admin.display(boolean=True, description=_("review overdue"))
    def review_overdue(self, obj):
        return obj.review_is_overdue()


@admin.register(ServicePage)
class ServicePageAdmin(ContentAdmin):
    preview_kind = "service"
    list_display = ["title", "status", "published_at", "treatment", "sort_order"]
    list_editable = ["sort_order"]
    list_select_related = ["treatment"]
    search_fields = ["title", "summary", "what_it_is"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "preview_link"]}),
        (
            _("Page"),
            {"fields": ["what_it_is", "who_it_helps", "what_to_expect", "duration_and_price"]},
        ),
        (_("Image"), {"fields": ["lead_image"]}),
        (_("Booking"), {"fields": ["treatment", "sort_order"]}),
        (_("Publishing"), {"fields": ["status", "published_at"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"]}),
    ]


@admin.register(ConditionPage)
class ConditionPageAdmin(ContentAdmin):
    preview_kind = "condition"
    list_display = ["title", "status", "published_at", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["title", "summary", "overview"]
    filter_horizontal = ["services"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "overview", "services", "preview_link"]}),
        (_("Image"), {"fields": ["lead_image"]}),
        (_("Publishing"), {"fields": ["status", "published_at", "sort_order"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"]}),
    ]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.content_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.content_changed()
