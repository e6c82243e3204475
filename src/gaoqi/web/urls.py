from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from gaoqi.web import account_views, agency_views, coaching_views, views
from gaoqi.web import auth_views as auth_views_gaoqi

app_name = "web"

urlpatterns = [
    path("login/", auth_views_gaoqi.LoginView.as_view(), name="login"),
    # Django's LogoutView answers POST only: logging out is a form button, never a link.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:credit_code>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<str:credit_code>/<slug:tab>/", views.enterprise_detail, name="enterprise_tab"),
    path("my-enterprise/", views.my_enterprise, name="my_enterprise"),
    path(
        "enterprises/<str:credit_code>/service-records/new/",
        coaching_views.service_record_new,
        name="service_record_new",
    ),
    path("follow-ups/", coaching_views.follow_up_list, name="follow_up_list"),
    path("agencies/", agency_views.agency_list, name="agency_list"),
    path("agencies/<int:pk>/", agency_views.agency_detail, name="agency_detail"),
    path("agencies/<int:pk>/assign/", agency_views.agency_assign, name="agency_assign"),
    path(
        "agencies/<int:pk>/unassign/<str:credit_code>/",
        agency_views.agency_unassign_view,
        name="agency_unassign",
    ),
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/new/", account_views.account_new, name="account_new"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/active/", account_views.account_active, name="account_active"),
    path("accounts/<int:pk>/tokens/", account_views.token_issue, name="token_issue"),
    path("accounts/<int:pk>/tokens/<int:token_pk>/revoke/", account_views.token_revoke, name="token_revoke"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/password_change.html", success_url=reverse_lazy("web:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html"),
        name="password_change_done",
    ),
]
