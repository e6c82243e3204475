from django.urls import path

from gaoqi.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("demo/", views.demo_start, name="demo_start"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/<int:pk>/<slug:action>/", views.schedule_action, name="schedule_action"),
]
