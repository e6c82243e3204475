from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "gaoqi.coaching"
    verbose_name = "跟踪辅导"
