from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "gaoqi.audit"
    verbose_name = "审计日志"

    def ready(self):
        from django.db.backends.signals import connection_created

        from gaoqi.audit.guard import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="gaoqi.audit.sqlite_guard")
