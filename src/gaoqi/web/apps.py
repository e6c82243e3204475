from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gaoqi.web"
    verbose_name = "页面"
