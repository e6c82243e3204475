from django.urls import path

from gaoqi.targets import views

app_name = "targets"

urlpatterns = [
    path("", views.progress, name="progress"),
    path("assessment.xlsx", views.assessment_export, name="assessment_export"),
    path("edit/", views.edit, name="edit"),
    path("template.xlsx", views.template_download, name="template"),
    path("upload/", views.upload, name="upload"),
    path("history/<str:region_code>/", views.history, name="history"),
]
