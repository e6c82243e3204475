from django.urls import path

from gaoqi.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("snapshot/", views.snapshot_start, name="snapshot_start"),
    path("kpi/<str:code>/", views.kpi_detail, name="kpi"),
    path("kpi/<str:code>/missing/", views.kpi_missing, name="kpi_missing"),
    path("forecast/", views.forecast, name="forecast"),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/new/", views.bulletin_start, name="bulletin_start"),
    path("bulletins/<int:pk>/download/", views.bulletin_download, name="bulletin_download"),
]
