from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "gaoqi.ops"
    verbose_name = "运维"
