from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "gaoqi.audit"
    verbose_name = "审计日志"
