"""Login (audited, throttled by django-axes), the lockout page, and the API documentation behind login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext as _

from gaoqi.accounts.services import login_audit


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        login_audit(request=self.request, username=form.get_user().get_username(), outcome="success")
        return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out username/address pair: the login page with the reason (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    message = _("登录失败次数过多，该账号已在此设备上暂时锁定，请 %(minutes)s 分钟后再试，或联系管理员。") % {
        "minutes": minutes
    }
    context = {"form": AuthenticationForm(request), "lockout": message, "next": request.POST.get("next", "")}
    return render(request, "web/login.html", context, status=429)
