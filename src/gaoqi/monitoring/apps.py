from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "gaoqi.monitoring"
    verbose_name = "动态监测与进展通报"
