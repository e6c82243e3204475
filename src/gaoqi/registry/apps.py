from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "gaoqi.registry"
    verbose_name = "企业库"
