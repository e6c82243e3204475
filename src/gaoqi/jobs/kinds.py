"""The kinds of background job: one greppable table (code → label). Add a line for a new kind."""

from django.utils.translation import gettext_lazy as _

JOB_KINDS = {
    "demo.count_to": _("演示：计数"),
    "intake.parse": _("解析导入文件"),
    "intake.commit": _("提交导入数据"),
    "ledger.reevaluate": _("重新评价"),
    "export": _("导出"),
    "monitoring.bulletin": _("生成进展通报"),
    "monitoring.snapshot": _("指标快照"),
    "alerts.scan": _("监测预警扫描"),
    "simulation.run": _("政策模拟"),
}


def kind_label(kind: str) -> str:
    return str(JOB_KINDS.get(kind, kind))
