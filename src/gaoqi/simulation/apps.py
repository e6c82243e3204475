from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "gaoqi.simulation"
    verbose_name = "政策模拟"
