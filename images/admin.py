from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from images import services
from images.forms import ImageForm
from images.models import Image
from images.rendering import picture_html


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm
    list_display = ["preview", "__str__", "decorative", "width", "height", "uploaded_at"]
    list_filter = ["decorative"]
    search_fields = ["alt_text", "caption", "credit"]
    readonly_fields = ["preview", "width", "height", "uploaded_at"]
    fields = ["file", "preview", "alt_text", "decorative", "caption", "credit", "width", "height"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "—"
        return picture_html(obj, sizes="8rem", css_class="image-library-preview")

    def save_model(self, request, obj, form, change):
        try:
            services.image_save(image=obj)
        except services.ImageError as error:
            # The form has checked the file and the text already; this is a
            # file Pillow could read but not convert. Nothing was saved.
            messages.error(request, str(error))

    def delete_model(self, request, obj):
        services.image_delete(image=obj)

    def delete_queryset(self, request, queryset):
        for image in queryset:
            services.image_delete(image=image)

    class Media:
        css = {"all": ["css/admin-content.css"]}
