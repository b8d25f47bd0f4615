from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("fellowships/", views.fellowship_list, name="fellowship-list"),
    path("fellowships/<slug:slug>/", views.fellowship_detail, name="fellowship-detail"),
    path("groups/<slug:slug>/", views.group_detail, name="group-detail"),
]
