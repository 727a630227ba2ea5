from django.views.generic import TemplateView

# Placeholders until the content models exist (issue: Articles).


class ArticleListView(TemplateView):
    template_name = "articles/placeholder.html"
    extra_context = {"page_title": "Articles"}


class ServiceListView(TemplateView):
    template_name = "articles/placeholder.html"
    extra_context = {"page_title": "Services"}


class ConditionListView(TemplateView):
    template_name = "articles/placeholder.html"
    extra_context = {"page_title": "Conditions"}
