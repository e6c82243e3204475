from django.urls import path

from gaoqi.programmes import views

app_name = "programmes"
urlpatterns = [
    path("tech-sme/", views.tech_sme_home, name="tech_sme"),
    path("tech-sme/start/", views.start, name="start"),
    path("tech-sme/queue/", views.queue, name="queue"),
    path("tech-sme/queue/export/", views.queue_export, name="queue_export"),
    path("tech-sme/queue/batch/", views.batch, name="batch"),
    path("tech-sme/queue/publish/", views.publish, name="publish"),
    path("tech-sme/campaign/", views.campaign, name="campaign"),
    path("tech-sme/campaign/invite/", views.invite, name="invite"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/declaration/", views.declaration_save, name="declaration"),
    path("applications/<int:pk>/act/", views.act, name="act"),
    path("applications/<int:pk>/attachments/", views.attach, name="attach"),
    path("applications/<int:pk>/attachments/<int:att_pk>/", views.attachment_download, name="attachment"),
]
