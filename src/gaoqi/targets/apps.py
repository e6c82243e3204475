from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "gaoqi.targets"
    verbose_name = "目标任务与考核"
