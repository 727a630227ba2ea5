"""The content admin's own pages: a page's revisions, the live Markdown preview, broken links.

Each is mounted by a ContentAdmin's get_urls through admin_site.admin_view
(staff only, login required, CSRF-protected) and checks the model permission
itself. Writes go through articles.services; a ContentError becomes a message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import broken_links, services
from articles.markdown import image_reference, markdown_report
from articles.models import MAX_BODY_CHARS, Revision
from articles.revisions import page_history
from images.models import Image


def _admin_context(model_admin, request, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "subtitle": None,
        **extra,
    }


def revisions_view(model_admin, request, object_id):
    """GET: the page's revisions with a diff against the current text."""
    item = get_object_or_404(model_admin.model, pk=object_id)
    if not model_admin.has_view_permission(request, item):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "admin/articles/revisions.html",
        _admin_context(
            model_admin,
            request,
            title=_("Revisions of “%(page)s”") % {"page": item},
            original=item,
            rows=page_history(item=item),
            can_restore=model_admin.has_change_permission(request, item),
        ),
    )


def restore_view(model_admin, request, object_id, revision_id):
    """POST: bring back one revision's text, as a new revision."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    item = get_object_or_404(model_admin.model, pk=object_id)
    if not model_admin.has_change_permission(request, item):
        raise PermissionDenied
    revision = get_object_or_404(Revision, pk=revision_id)
    try:
        services.content_restore(
            item=item, revision=revision, user=request.user, now=timezone.now()
        )
    except services.ContentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Restored the revision of %(when)s. The restore is the newest revision.")
            % {"when": timezone.localtime(revision.created_at).strftime("%d %b %Y %H:%M")},
        )
    opts = model_admin.opts
    return HttpResponseRedirect(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_revisions", args=[item.pk])
    )


def markdown_preview_view(model_admin, request):
    """POST ``text``: the HTML patients would see, reading time and warnings, as JSON."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
        raise PermissionDenied
    text = request.POST.get("text", "")
    if len(text) > MAX_BODY_CHARS:
        return JsonResponse(
            {"error": _("The text is too long to preview (over %s characters).") % MAX_BODY_CHARS},
            status=400,
        )
    report = markdown_report(text)
    return JsonResponse(
        {
            "html": str(report.html),
            "reading_minutes": report.reading_minutes,
            "warnings": report.warnings,
        }
    )


# The image picker beside a Markdown field offers the newest library images.
IMAGE_CHOICES = 200


def image_choices_view(model_admin, request):
    """GET: the newest library images and the reference that puts each in the text."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    can_edit = model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
    if not (can_edit and request.user.has_perm("images.view_image")):
        raise PermissionDenied
    images = Image.objects.only("pk", "alt_text", "decorative", "caption", "file")[:IMAGE_CHOICES]
    return JsonResponse(
        {
            "images": [
                {
                    "id": image.pk,
                    "label": f"{image} (#{image.pk})",
                    "reference": image_reference(image),
                }
                for image in images
            ]
        }
    )


def broken_links_view(model_admin, request):
    """GET: every internal link in published content that leads nowhere."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method != "GET":
        raise Http404
    return TemplateResponse(
        request,
        "admin/articles/broken_links.html",
        _admin_context(
            model_admin,
            request,
            title=_("Broken internal links"),
            broken=broken_links.broken_links(now=timezone.now()),
        ),
    )
