from django import template

from articles.markdown import render_markdown
from clinic.templatetags.clinic_tags import jsonld

register = template.Library()


@register.filter
def markdown(text):
    return render_markdown(text)


# The JSON-LD block lives with the site-wide tags; still loadable from here.
register.filter("jsonld", jsonld)
