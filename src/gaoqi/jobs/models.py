"""A background job: one run of a service function by the worker, with its progress and outcome."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaoqi.jobs.kinds import kind_label


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(models.Model):
    # A free code (see kinds.py), not choices: a new kind of job needs no migration.
    kind = models.CharField(_("任务类型"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    func_path = models.CharField(_("执行函数"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict, blank=True)

    done = models.PositiveIntegerField(_("完成数"), default=0)
    total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    message = models.CharField(_("进度说明"), max_length=200, blank=True)

    error = models.CharField(_("错误"), max_length=500, blank=True)
    traceback = models.TextField(_("错误详情"), blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    result_url = models.CharField(_("结果链接"), max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    # Officers of this region (and above) see the job; null: only its creator does.
    region = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属地区"),
    )

    task_id = models.CharField(_("任务库编号"), max_length=64, blank=True, db_index=True)
    worker_id = models.CharField(_("执行进程"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    # Safe to run again from the start when a worker dies mid-run (re-evaluation, exports); imports are not.
    restartable = models.BooleanField(_("中断后可重新执行"), default=False)

    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="job_creator_at"),
            models.Index(fields=["region", "-created_at"], name="job_region_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        """Whole percent done, or None while the total is unknown."""
        if not self.total:
            return 100 if self.status == JobStatus.SUCCEEDED else None
        return min(100, self.done * 100 // self.total)

    @property
    def duration(self):
        """Time spent running so far (or in all, once finished); None before the start."""
        if self.started_at is None:
            return None
        from django.utils import timezone

        return (self.finished_at or timezone.now()) - self.started_at


class Frequency(models.TextChoices):
    DAILY = "daily", _("每天")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


class Schedule(models.Model):
    """A task the worker starts on its own at fixed times (see schedules.py for the spec and periods).

    `run_as` is the officer whose permissions the task runs with (bulletins are scoped like any read): the
    province officer who last enabled the schedule. `next_run_at` is null while disabled.
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    task = models.CharField(_("执行内容"), max_length=40)  # a code of schedules.SCHEDULED_TASKS
    params = models.JSONField(_("参数"), default=dict, blank=True)
    frequency = models.CharField(_("频率"), max_length=10, choices=Frequency.choices)
    day = models.PositiveSmallIntegerField(_("日"), default=1)
    at = models.TimeField(_("时间"))
    enabled = models.BooleanField(_("启用"), default=False)
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("执行身份"),
    )
    next_run_at = models.DateTimeField(_("下次运行"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("上次运行"), null=True, blank=True)
    last_period = models.CharField(_("上次期间"), max_length=12, blank=True)
    last_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上次任务")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("定时任务")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(day__gte=1, day__lte=28), name="schedule_day_1_28"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def spec(self):
        from gaoqi.jobs.schedules import Spec

        return Spec(self.frequency, self.day, self.at)

    @property
    def title(self) -> str:
        """The name in the user's language (the standing schedules' names are in the catalogue)."""
        from django.utils.translation import gettext

        return gettext(self.name)

    @property
    def task_label(self) -> str:
        from gaoqi.jobs.schedules import task_label

        return task_label(self.task)

    @property
    def describe(self) -> str:
        from gaoqi.jobs.schedules import describe

        return describe(self.spec)


class ScheduleRun(models.Model):
    """One firing of a schedule (or a "run now"): the unique (schedule, period) of scheduled runs is what lets
    several workers check the schedules at once without starting a period twice."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    period = models.CharField(_("期间"), max_length=12)
    manual = models.BooleanField(_("手动运行"), default=False)
    due_at = models.DateTimeField(_("计划时间"), null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("运行时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定时任务运行记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period"], condition=models.Q(manual=False), name="schedule_run_once"
            ),
        ]
