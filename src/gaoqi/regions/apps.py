from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "gaoqi.regions"
    verbose_name = "行政区划"
