from django.urls import path

from gaoqi.rnd import views

app_name = "rnd"

urlpatterns = [
    path("", views.institution_list, name="list"),
    path("new/", views.institution_new, name="new"),
    path("import/", views.institution_import, name="import"),
    path("<int:pk>/", views.institution_detail, name="detail"),
    path("<int:pk>/status/", views.institution_status, name="status"),
    path("<int:pk>/performance/", views.institution_performance, name="performance"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/missing/", views.coverage_missing, name="coverage_missing"),
    path("coverage/missing.xlsx", views.coverage_export, name="coverage_export"),
    path("tags/", views.action_tag, name="tag"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/export.xlsx", views.evaluation_export, name="evaluation_export"),
]
