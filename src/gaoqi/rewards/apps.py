from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "gaoqi.rewards"
    verbose_name = "奖励与兑现"
