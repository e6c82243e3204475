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
    path("applications/<int:pk>/site-checks/", views.site_check_order, name="site_check_order"),
    path("site-checks/<int:check_pk>/", views.site_check_record, name="site_check_record"),
    path("applications/<int:pk>/cancellation/", views.cancellation_open, name="cancellation_open"),
    path("decisions/", views.decision_desk, name="decisions"),
    path("decisions/notice/", views.notice_publish, name="notice_publish"),
    path("report-batches/", views.report_batch_new, name="report_batch_new"),
    path("report-batches/<int:pk>/", views.report_batch, name="report_batch"),
    path("report-batches/<int:pk>/export.xlsx", views.report_batch_export, name="report_batch_export"),
    path("report-batches/<int:pk>/reported/", views.report_batch_reported, name="report_batch_reported"),
    path("expert/", views.expert_home, name="expert_home"),
    path("expert/applications/<int:pk>/", views.expert_review, name="expert_review"),
    path("expert/applications/<int:pk>/score/", views.expert_score, name="expert_score"),
    path("expert/applications/<int:pk>/aggregate/", views.expert_aggregate, name="expert_aggregate"),
]
