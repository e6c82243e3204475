from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gaoqi.accounts"
    verbose_name = "账户与权限"

    def ready(self):
        from gaoqi.accounts.login import connect_signals

        connect_signals()
