from django.urls import path

from gaoqi.rewards import views

app_name = "rewards"

urlpatterns = [
    path("", views.reward_list, name="list"),
    path("decide/", views.reward_decide, name="decide"),
    path("compute/", views.compute, name="compute"),
    path("budgets/", views.budget_list, name="budgets"),
    path("budgets/save/", views.budget_save, name="budget_save"),
    path("payouts/", views.payout_list, name="payouts"),
    path("export.xlsx", views.export, name="export"),
    path("<int:pk>/", views.reward_detail, name="detail"),
    path("<int:pk>/payout/", views.payout_new, name="payout"),
]
