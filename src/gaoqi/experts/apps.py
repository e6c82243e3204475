from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "gaoqi.experts"
    label = "experts"
    verbose_name = "Experts"
    default_auto_field = "django.db.models.BigAutoField"
