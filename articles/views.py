"""Public content pages: thin views over the selectors, cached whole."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from articles import selectors, seo
from articles.caching import PublicPageCacheMixin
from articles.contents import with_contents
from articles.markdown import render_markdown
from articles.models import Article, ConditionPage, ServicePage, Topic
from booking.models import Practitioner
from clinic.identity import get_clinic

ARTICLES_PER_PAGE = 9
HOME_TEAM_SIZE = 6


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Home", reverse("home")), *extra]


class HomeView(PublicPageCacheMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        clinic = get_clinic()
        return super().get_context_data(
            services=list(selectors.published_services(now=now)),
            conditions=list(selectors.published_conditions(now=now)),
            latest_articles=list(selectors.article_cards(now=now)[:3]),
            team=list(Practitioner.objects.active().select_related("photo")[:HOME_TEAM_SIZE]),
            jsonld=seo.home_graph(self.request, clinic),
            **kwargs,
        )


class ArticleListView(PublicPageCacheMixin, ListView):
    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = ARTICLES_PER_PAGE
    cache_query = ("topic", "page")

    def get(self, request, *args, **kwargs):
        self.now = timezone.now()
        self.topic = None
        slug = request.GET.get("topic", "")
        if slug:
            # An unknown or malformed topic is a page that does not exist.
            self.topic = Topic.objects.filter(slug=slug[:80]).first()
            if self.topic is None:
                raise Http404("No such topic.")
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = selectors.article_cards(now=self.now)
        if self.topic is not None:
            queryset = queryset.filter(topics=self.topic)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        crumbs = _crumbs(("Articles", reverse("articles:article_list")))
        heading = f"Articles about {self.topic.name.lower()}" if self.topic else "Articles"
        description = (
            "Plain-language articles from our physiotherapists about pain, dry needling, "
            "treatment and recovery."
        )
        context.update(
            topic=self.topic,
            topics=list(selectors.topics_in_use(now=self.now)),
            heading=heading,
            description=description,
            crumbs=crumbs,
            query_without_page=f"topic={self.topic.slug}&" if self.topic else "",
            jsonld=seo.web_page(
                self.request,
                get_clinic(),
                page_type="CollectionPage",
                name=heading,
                description=description,
                crumbs=crumbs,
            ),
        )
        return context


class _DetailView(PublicPageCacheMixin, TemplateView):
    """Looks the item up by slug; drafts and unknown slugs give the branded 404."""

    public = True

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # A published page's old address (its slug changed) leads to its new one.
            target = self.public and selectors.redirect_target(
                path=request.path, now=timezone.now()
            )
            if target:
                return HttpResponsePermanentRedirect(target)
            raise

    def load(self, *, slug, now):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        now = timezone.now()
        try:
            item = self.load(slug=kwargs["slug"], now=now)
        except ObjectDoesNotExist:
            raise Http404("No such page.") from None
        return {**super().get_context_data(**kwargs), **self.context_for(item, now=now)}


class ArticleDetailView(_DetailView):
    template_name = "articles/article_detail.html"

    def load(self, *, slug, now):
        return selectors.article_for_page(slug=slug, now=now, public=self.public)

    def context_for(self, article, *, now):
        crumbs = _crumbs(
            ("Articles", reverse("articles:article_list")),
            (article.title, article.get_absolute_url()),
        )
        body, contents = with_contents(render_markdown(article.body))
        return {
            "article": article,
            "body": body,
            "contents": contents,
            "related": selectors.related_articles(article=article, now=now),
            "crumbs": crumbs,
            "jsonld": seo.article_page(self.request, get_clinic(), article, crumbs),
        }


class _CollectionView(PublicPageCacheMixin, TemplateView):
    """A list of one kind of published page: services or conditions."""

    name: str
    url_name: str
    description: str

    def items(self, *, now):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        crumbs = _crumbs((self.name, reverse(self.url_name)))
        return super().get_context_data(
            pages=list(self.items(now=timezone.now())),
            name=self.name,
            crumbs=crumbs,
            description=self.description,
            jsonld=seo.web_page(
                self.request,
                get_clinic(),
                page_type="CollectionPage",
                name=self.name,
                description=self.description,
                crumbs=crumbs,
            ),
            **kwargs,
        )


class ServiceListView(_CollectionView):
    template_name = "articles/service_list.html"
    name = "Services"
    url_name = "articles:service_list"
    description = "The treatments we offer, what each involves and how to book it online."

    def items(self, *, now):
        return selectors.published_services(now=now)


class _SectionPageView(_DetailView):
    """A page of a section (services, conditions): crumbs through its list, its own JSON-LD."""

    section: str  # the list's name, first crumb
    section_url: str
    context_name: str

    def context_for(self, page, *, now):
        crumbs = _crumbs(
            (self.section, reverse(self.section_url)), (page.title, page.get_absolute_url())
        )
        return {
            "page": page,
            self.context_name: page,
            "crumbs": crumbs,
            "jsonld": self.structured_data(self.request, get_clinic(), page, crumbs),
        }


class ServiceDetailView(_SectionPageView):
    template_name = "articles/service_detail.html"
    section, section_url, context_name = "Services", "articles:service_list", "service"
    structured_data = staticmethod(seo.service_page)

    def load(self, *, slug, now):
        return selectors.service_for_page(slug=slug, now=now, public=self.public)


class ConditionListView(_CollectionView):
    template_name = "articles/condition_list.html"
    name = "Conditions"
    url_name = "articles:condition_list"
    description = "Where it hurts: common painful areas we treat and how we can help."

    def items(self, *, now):
        return selectors.published_conditions(now=now)


class ConditionDetailView(_SectionPageView):
    template_name = "articles/condition_detail.html"
    section, section_url, context_name = "Conditions", "articles:condition_list", "condition"
    structured_data = staticmethod(seo.condition_page)

    def load(self, *, slug, now):
        return selectors.condition_for_page(slug=slug, now=now, public=self.public)


class SearchView(PublicPageCacheMixin, TemplateView):
    template_name = "articles/search.html"
    cache_query = ("q",)

    def get_context_data(self, **kwargs):
        raw = self.request.GET.get("q", "")
        query = selectors.clean_search_query(raw)
        results = selectors.search(query=query, now=timezone.now()) if query else []
        crumbs = _crumbs(("Search", reverse("articles:search")))
        description = "Search our articles, services and conditions."
        return super().get_context_data(
            query=" ".join(raw.split())[: selectors.MAX_QUERY_CHARS],
            searched=bool(raw.strip()),
            results=results,
            crumbs=crumbs,
            description=description,
            jsonld=seo.web_page(
                self.request,
                get_clinic(),
                page_type="SearchResultsPage",
                name="Search",
                description=description,
                crumbs=crumbs,
            ),
            **kwargs,
        )


# Staff previews: the public template, drafts included, never cached ------------

_PREVIEWS = {
    "article": (ArticleDetailView, Article),
    "service": (ServiceDetailView, ServicePage),
    "condition": (ConditionDetailView, ConditionPage),
}


@method_decorator([staff_member_required, never_cache], name="dispatch")
class PreviewView(View):
    """A draft as the public will see it, for staff allowed to view that kind of page."""

    def get(self, request, kind, slug):
        view_class, model = _PREVIEWS.get(kind, (None, None))
        if view_class is None:
            raise Http404("No such kind of page.")
        if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            raise PermissionDenied
        view = view_class(request=request, kwargs={"slug": slug}, public=False)
        view.public = False
        context = view.get_context_data(slug=slug)
        context["preview"] = True
        response = render(request, view_class.template_name, context)
        response["X-Robots-Tag"] = "noindex"
        return response
