from django.urls import path

from gaoqi.programmes.pool import views

app_name = "pool"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/declaration/", views.declaration_save, name="declaration"),
    path("applications/<int:pk>/act/", views.act, name="act"),
    path("applications/<int:pk>/experts/", views.experts_assign, name="experts_assign"),
    path("queue/", views.queue, name="queue"),
    path("queue/batch/", views.batch, name="batch"),
    path("queue/publish/", views.publish, name="publish"),
    path("admissions/", views.admissions, name="admissions"),
    path("admissions/export/", views.admissions_export, name="admissions_export"),
    path("exits/", views.exits, name="exits"),
    path("exits/expire/", views.expire, name="expire"),
    path("expert/", views.expert_home, name="expert_home"),
    path("expert/applications/<int:pk>/", views.expert_review, name="expert_review"),
    path("expert/applications/<int:pk>/score/", views.expert_score, name="expert_score"),
    path(
        "expert/applications/<int:pk>/attachments/<int:att_pk>/",
        views.expert_attachment,
        name="expert_attachment",
    ),
]
