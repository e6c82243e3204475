"""Job pages: scoped alike for missing and forbidden jobs, htmx polling while a job runs, then its outcome."""

import pytest
from django.urls import reverse

from gaoqi.jobs import services
from gaoqi.jobs.models import Job, JobStatus

COUNT = "gaoqi.jobs.demo_tasks.count_to"


def start(actor, **kwargs):
    return services.start_job(
        actor=actor, kind="demo.count_to", func_path=COUNT, kwargs={"n": 5, **kwargs}, total=5
    )


def page(client, user, url, **headers):
    client.force_login(user)
    return client.get(url, headers=headers)


# --- scope: negative cases first -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nanjing", "kunshan", "ks_user", "expert", "agency"])
def test_others_cannot_see_a_suzhou_officers_job(client, world, who):
    job = start(world["suzhou"])
    response = page(client, world[who], reverse("jobs:detail", args=[job.pk]))
    assert response.status_code == 404
    listing = page(client, world[who], reverse("jobs:list"))
    assert listing.status_code == 200 and f"#{job.pk}<" not in listing.content.decode()


def test_a_suzhou_officer_cannot_see_a_nanjing_officers_job(client, world):
    job = start(world["nanjing"])
    assert page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert page(client, world["suzhou"], reverse("jobs:detail", args=[10**9])).status_code == 404


@pytest.mark.parametrize("who", ["suzhou", "province"])
def test_the_creator_and_officers_above_see_it(client, world, who):
    job = start(world["suzhou"])
    response = page(client, world[who], reverse("jobs:detail", args=[job.pk]))
    assert response.status_code == 200
    assert f"#{job.pk}" in response.content.decode()


def test_a_city_officer_sees_the_jobs_of_the_counties_below(client, world):
    job = start(world["kunshan"])
    assert page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).status_code == 200


def test_an_enterprise_user_sees_only_their_own_jobs(client, world):
    own = start(world["ks_user"])
    start(world["suzhou"])
    body = page(client, world["ks_user"], reverse("jobs:list")).content.decode()
    assert body.count('href="/jobs/') == 2  # number and kind of their one job
    assert f"/jobs/{own.pk}/" in body


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    job = start(world["suzhou"])
    for url in (reverse("jobs:list"), reverse("jobs:detail", args=[job.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


# --- the job page ------------------------------------------------------------------------------------------


def test_a_running_job_polls_its_status_fragment(client, world):
    job = start(world["suzhou"])
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=2, message="已计数 2 / 5")
    url = reverse("jobs:detail", args=[job.pk])
    body = page(client, world["suzhou"], url).content.decode()
    assert 'hx-trigger="every 1s"' in body and f'hx-get="{url}"' in body
    assert '<progress max="5" value="2"' in body and "2 / 5" in body and "40%" in body
    assert "已计数 2 / 5" in body and "<html" in body
    fragment = page(client, world["suzhou"], url, HX_Request="true")
    assert "<html" not in fragment.content.decode() and 'id="job-status"' in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_a_queued_job_says_what_it_waits_for(client, world):
    job = start(world["suzhou"])
    body = page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "排队中" in body and "gaoqi jobs worker" in body


def test_a_finished_job_stops_polling_and_shows_its_result(client, world, immediate, test_funcs):
    job = services.start_job(actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.export_ready")
    body = page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "hx-trigger" not in body
    assert "已完成" in body and "导出 3 行" in body and 'href="/media/exports/x.xlsx"' in body


def test_a_failed_job_shows_the_message_and_the_traceback_to_superusers_only(
    client, world, immediate, django_user_model
):
    job = start(world["suzhou"], fail_at=2)
    body = page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-error"' in body and "按要求在第 2 步失败" in body
    assert "Traceback" not in body
    world["suzhou"].is_superuser = True
    world["suzhou"].save()
    body = page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Traceback" in body


def test_validation_errors_are_listed(client, world, immediate, test_funcs):
    job = services.start_job(
        actor=world["suzhou"], kind="intake.commit", func_path="tests.jobs.funcs.invalid_rows"
    )
    body = page(client, world["suzhou"], reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "导入文件有 1 行错误" in body and "企业名称不能为空" in body


def test_the_page_speaks_english(client, world):
    job = start(world["suzhou"])
    client.force_login(world["suzhou"])
    client.cookies["django_language"] = "en"
    body = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Background jobs" in body and "Queued" in body and "Demo: counting" in body


# --- the list ----------------------------------------------------------------------------------------------


def test_the_list_polls_while_a_job_is_unfinished(client, world, immediate):
    start(world["suzhou"])
    body = page(client, world["suzhou"], reverse("jobs:list")).content.decode()
    assert "hx-trigger" not in body and "已完成" in body
    job = start(world["suzhou"])
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    body = page(client, world["suzhou"], reverse("jobs:list")).content.decode()
    assert 'hx-trigger="every 2s"' in body


def test_the_list_filters_by_status(client, world, immediate):
    ok = start(world["suzhou"])
    bad = start(world["suzhou"], fail_at=1)
    body = page(client, world["suzhou"], reverse("jobs:list") + "?status=failed").content.decode()
    assert f"/jobs/{bad.pk}/" in body and f"/jobs/{ok.pk}/" not in body


def test_the_list_costs_a_fixed_number_of_queries(client, world, immediate, django_assert_max_num_queries):
    for _ in range(3):
        start(world["suzhou"])
    client.force_login(world["suzhou"])
    client.get(reverse("jobs:list"))
    for _ in range(10):
        start(world["suzhou"])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("jobs:list")).status_code == 200


def test_the_menu_shows_jobs_to_officers(client, world):
    body = page(client, world["suzhou"], reverse("jobs:list")).content.decode()
    assert 'href="/jobs/" class="active"' in body


# --- the demo button (development servers only) --------------------------------------------------------------


def test_the_demo_button_needs_debug(client, world):
    client.force_login(world["suzhou"])
    assert client.post(reverse("jobs:demo_start")).status_code == 404
    assert not Job.objects.exists()


def test_the_demo_button_starts_a_job(client, world, settings):
    settings.DEBUG = True
    client.force_login(world["suzhou"])
    assert 'data-testid="demo-start"' in client.get(reverse("jobs:list")).content.decode()
    response = client.post(reverse("jobs:demo_start"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.created_by == world["suzhou"] and job.restartable
    client.force_login(world["ks_user"])
    assert client.post(reverse("jobs:demo_start")).status_code == 404
