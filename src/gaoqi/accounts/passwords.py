"""Django's minimum-length password validator with the platform's wording (Django's Chinese catalogue
lacks this message's plural form, so users saw it in English)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return _("密码太短，至少需要 %(n)s 个字符。") % {"n": self.min_length}

    def get_help_text(self):
        return _("密码至少需要 %(n)s 个字符。") % {"n": self.min_length}
