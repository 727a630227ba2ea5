from django import template

from images.rendering import figure_html, picture_html, share_image_html

register = template.Library()


@register.simple_tag
def picture(image, sizes="100vw", priority=False, css_class="", alt=None):
    """``{% picture image sizes="(min-width: 60em) 40rem, 100vw" priority=True %}``

    ``alt=""`` where text beside the picture already says what it shows.
    """
    return picture_html(image, sizes=sizes, priority=bool(priority), css_class=css_class, alt=alt)


@register.simple_tag
def figure(image, sizes="100vw", priority=False, css_class=""):
    """``{% picture %}`` with the image's caption and credit under it, when it has them."""
    return figure_html(image, sizes=sizes, priority=bool(priority), css_class=css_class)


@register.simple_tag(takes_context=True)
def share_image(context, title, image=None):
    """og:image (1200×630, absolute from SITE_URL) with its size and alt, and
    the Twitter card: the lead image's crop, or a card drawn with ``title``."""
    site_name = getattr(context.get("clinic"), "name", "") or ""
    return share_image_html(title=str(title), image=image, site_name=site_name)
