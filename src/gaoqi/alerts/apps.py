from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "gaoqi.alerts"
    verbose_name = "动态监测预警"
