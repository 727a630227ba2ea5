from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("articles/", views.ArticleListView.as_view(), name="article_list"),
    path("services/", views.ServiceListView.as_view(), name="service_list"),
    path("conditions/", views.ConditionListView.as_view(), name="condition_list"),
]
