from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "gaoqi.intake"
    verbose_name = "数据导入"
