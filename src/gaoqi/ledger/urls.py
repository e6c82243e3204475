from django.urls import path

from gaoqi.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export.xlsx", views.ledger_export, name="export"),
    path("advice/", views.ledger_advice, name="advice"),
    path("reevaluate/", views.ledger_reevaluate, name="reevaluate"),
]
