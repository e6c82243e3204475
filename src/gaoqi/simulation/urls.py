from django.urls import path

from gaoqi.simulation import views

app_name = "simulation"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.reform_new, name="new"),
    path("compare/", views.compare, name="compare"),
    path("compare.xlsx", views.compare_export, name="compare_export"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/", views.reform_detail, name="reform"),
    path("<int:pk>/edit/", views.reform_edit, name="edit"),
    path("<int:pk>/run/", views.run_start, name="run_start"),
]
