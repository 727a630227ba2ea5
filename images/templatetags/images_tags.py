from django import template

from images.rendering import picture_html

register = template.Library()


@register.simple_tag
def picture(image, sizes="100vw", priority=False, css_class=""):
    """``{% picture image sizes="(min-width: 60em) 40rem, 100vw" priority=True %}``"""
    return picture_html(image, sizes=sizes, priority=bool(priority), css_class=css_class)
