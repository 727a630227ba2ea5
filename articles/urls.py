from django.urls import path

from articles import feeds, views

app_name = "articles"

urlpatterns = [
    path("articles/", views.ArticleListView.as_view(), name="article_list"),
    path("articles/feed/", feeds.LatestArticlesFeed(), name="feed"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("services/", views.ServiceListView.as_view(), name="service_list"),
    path("services/<slug:slug>/", views.ServiceDetailView.as_view(), name="service_detail"),
    path("conditions/", views.ConditionListView.as_view(), name="condition_list"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition_detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("preview/<str:kind>/<slug:slug>/", views.PreviewView.as_view(), name="preview"),
]
