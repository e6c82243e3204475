from django.urls import path

from gaoqi.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("scan/", views.scan_start, name="scan"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.alert_action, {"action": "acknowledge"}, name="acknowledge"),
    path("<int:pk>/resolve/", views.alert_action, {"action": "resolve"}, name="resolve"),
]
