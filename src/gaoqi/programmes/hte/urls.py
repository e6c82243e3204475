from django.urls import path

from gaoqi.programmes.hte import views

app_name = "hte"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/document/", views.document_save, name="document"),
    path("applications/<int:pk>/act/", views.act, name="act"),
    path("applications/<int:pk>/panel/", views.draw, name="draw"),
    path("applications/<int:pk>/annual-reports/", views.annual_report, name="annual_report"),
    path("applications/<int:pk>/changes/", views.change_report, name="change_report"),
    path("after/", views.after_certification, name="after"),
    path("changes/<int:change_pk>/review/", views.change_review, name="change_review"),
    path("expert/", views.expert_home, name="expert_home"),
    path("expert/applications/<int:pk>/", views.expert_review, name="expert_review"),
    path("expert/applications/<int:pk>/score/", views.expert_score, name="expert_score"),
    path("expert/applications/<int:pk>/aggregate/", views.expert_aggregate, name="expert_aggregate"),
]
