from django.contrib.auth import views as auth_views
from django.urls import path

from gaoqi.web import views

app_name = "web"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    # Django's LogoutView answers POST only: logging out is a form button, never a link.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:credit_code>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<str:credit_code>/<slug:tab>/", views.enterprise_detail, name="enterprise_tab"),
    path("my-enterprise/", views.my_enterprise, name="my_enterprise"),
]
