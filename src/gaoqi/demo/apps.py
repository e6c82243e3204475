from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gaoqi.demo"
    verbose_name = "合成演示数据"
