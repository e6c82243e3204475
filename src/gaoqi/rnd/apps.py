from django.apps import AppConfig


class RndConfig(AppConfig):
    name = "gaoqi.rnd"
    verbose_name = "企业研发机构"
