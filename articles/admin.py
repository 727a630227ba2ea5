from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from articles import admin_views, services
from articles.models import (
    MAX_BODY_CHARS,
    REVIEW_INTERVAL,
    Article,
    ConditionPage,
    ContentRedirect,
    ServicePage,
    Status,
    Topic,
)
from clinic.forms import MultilineField


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
    """Every change goes through articles.services: it keeps a revision, keeps a
    published page's old address working and makes cached pages stale once it
    commits."""

    list_display = ["title", "status", "publication", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    actions = ["publish_selected", "unpublish_selected"]
    readonly_fields = ["preview_link"]
    preview_kind = ""
    form = PublishableForm
    # A few topics, services and conditions: plain checkboxes in a named group,
    # which screen readers handle better than admin's two-box selector.
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
        models.TextField: {"form_class": MultilineField},
    }
    change_form_template = "admin/articles/content_change_form.html"

    class Media:
        css = {"all": ["css/admin-content.css"]}
        js = ["js/admin-markdown-preview.js"]

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        def wrap(view):
            def page(request, *args, **kwargs):
                return view(self, request, *args, **kwargs)

            return self.admin_site.admin_view(page)

        return [
            path(
                "<int:object_id>/revisions/",
                wrap(admin_views.revisions_view),
                name=self._url_name("revisions"),
            ),
            path(
                "<int:object_id>/revisions/<int:revision_id>/restore/",
                wrap(admin_views.restore_view),
                name=self._url_name("restore"),
            ),
            path(
                "image-choices/",
                wrap(admin_views.image_choices_view),
                name=self._url_name("image_choices"),
            ),
            path(
                "markdown-preview/",
                wrap(admin_views.markdown_preview_view),
                name=self._url_name("markdown_preview"),
            ),
            *super().get_urls(),
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.model.markdown_fields:
            # static/js/admin-markdown-preview.js previews the text beside the field.
            field.widget.attrs["data-markdown-preview"] = reverse(
                f"admin:{self._url_name('markdown_preview')}"
            )
            field.widget.attrs["data-image-choices"] = reverse(
                f"admin:{self._url_name('image_choices')}"
            )
            field.help_text = format_html(
                "{} {}",
                field.help_text,
                _(
                    "Images from the image library: ![what it shows](image:42), "
                    "where 42 is the image's number in the library."
                ),
            )
        return field

    @admin.display(description=_("publication"), ordering="published_at")
    def publication(self, obj):
        if obj.status != Status.PUBLISHED or obj.published_at is None:
            return _("Draft")
        when = date_format(timezone.localtime(obj.published_at), "DATETIME_FORMAT")
        if obj.is_scheduled():
            return _("Scheduled for %(when)s") % {"when": when}
        return _("Published %(when)s") % {"when": when}

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
        services.content_save(item=obj, user=request.user, now=timezone.now())

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
            services.content_publish(item=item, now=now, user=request.user)
        self.message_user(request, _("Published."), messages.SUCCESS)

    @admin.action(description=_("Unpublish selected pages (back to draft)"))
    def unpublish_selected(self, request, queryset):
        now = timezone.now()
        for item in queryset.filter(status=Status.PUBLISHED):
            services.content_unpublish(item=item, now=now, user=request.user)
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
    change_list_template = "admin/articles/article/change_list.html"
    list_display = [
        "title",
        "status",
        "publication",
        "author",
        "reviewer",
        "last_reviewed",
        "review_overdue",
    ]
    list_filter = ["status", ReviewOverdueFilter, "topics", "author"]
    list_select_related = ["author", "reviewer"]
    search_fields = ["title", "summary", "body"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "preview_link"]}),
        (_("Image"), {"fields": ["lead_image"]}),
        (_("Publishing"), {"fields": ["status", "published_at"]}),
        (_("Medical review"), {"fields": ["author", "reviewer", "last_reviewed"]}),
        (_("Links"), {"fields": ["topics", "services", "conditions"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"]}),
    ]

    def get_urls(self):
        return [
            path(
                "links/",
                self.admin_site.admin_view(
                    lambda request: admin_views.broken_links_view(self, request)
                ),
                name="articles_broken_links",
            ),
            *super().get_urls(),
        ]

    @admin.display(boolean=True, description=_("review overdue"))
    def review_overdue(self, obj):
        return obj.review_is_overdue()


@admin.register(ServicePage)
class ServicePageAdmin(ContentAdmin):
    preview_kind = "service"
    list_display = ["title", "status", "publication", "treatment", "sort_order"]
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
    list_display = ["title", "status", "publication", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["title", "summary", "overview"]
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


@admin.register(ContentRedirect)
class ContentRedirectAdmin(admin.ModelAdmin):
    """Old addresses are written by articles.services when a published slug changes."""

    list_display = ["old_path", "content_type", "object_id", "created_at"]
    search_fields = ["old_path"]
    list_select_related = ["content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
