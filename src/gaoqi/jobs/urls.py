from django.urls import path, re_path

from gaoqi.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("demo/", views.demo_start, name="demo_start"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("schedules/", views.schedule_list, name="schedules"),
    re_path(
        r"^schedules/(?P<pk>\d+)/(?P<action>run|enable|disable)/$",
        views.schedule_action,
        name="schedule_action",
    ),
]
