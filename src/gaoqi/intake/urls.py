from django.urls import path

from gaoqi.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/commit/", views.batch_commit, name="batch_commit"),
    path("<int:pk>/discard/", views.batch_discard, name="batch_discard"),
    path("<int:pk>/revert/", views.batch_revert, name="batch_revert"),
    path("<int:pk>/errors.xlsx", views.error_workbook, name="error_workbook"),
    path("<int:pk>/rows/<int:row>/confirm/", views.row_confirm, name="row_confirm"),
]
