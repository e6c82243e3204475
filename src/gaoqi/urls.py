from django.urls import include, path

from gaoqi.api.main import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("jobs/", include("gaoqi.jobs.urls")),
    path("ledger/", include("gaoqi.ledger.urls")),
    path("imports/", include("gaoqi.intake.urls")),
    path("", include("gaoqi.web.urls")),
]
