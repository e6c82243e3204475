from django.urls import include, path

from gaoqi.api.main import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("jobs/", include("gaoqi.jobs.urls")),
    path("ledger/", include("gaoqi.ledger.urls")),
    path("imports/", include("gaoqi.intake.urls")),
    path("workflow/", include("gaoqi.workflow.urls")),
    path("programmes/pool/", include("gaoqi.programmes.pool.urls")),
    path("programmes/hte/", include("gaoqi.programmes.hte.urls")),
    path("programmes/", include("gaoqi.programmes.urls")),
    path("rewards/", include("gaoqi.rewards.urls")),
    path("rnd/", include("gaoqi.rnd.urls")),
    path("targets/", include("gaoqi.targets.urls")),
    path("monitoring/", include("gaoqi.monitoring.urls")),
    path("alerts/", include("gaoqi.alerts.urls")),
    path("simulation/", include("gaoqi.simulation.urls")),
    path("", include("gaoqi.web.urls")),
]

# Error pages in Chinese in the platform's layout; JSON {"message", "extra"} under /api/.
handler400 = "gaoqi.web.error_views.bad_request"
handler403 = "gaoqi.web.error_views.permission_denied"
handler404 = "gaoqi.web.error_views.page_not_found"
handler500 = "gaoqi.web.error_views.server_error"
