"""`gaoqi tokens`: API tokens from the command line, through the same services, scope and audit as the pages.

gaoqi tokens list USERNAME --as OFFICER
gaoqi tokens issue USERNAME --as OFFICER [--days N] [--label TEXT] [--reason TEXT]   prints the key once
gaoqi tokens revoke TOKEN_ID --as OFFICER --reason TEXT

`--as` names the officer who acts (and is audited); what they may do is decided by gaoqi.accounts.scope, so an
account outside their reach is "not found", as on the pages.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gaoqi.accounts import selectors
from gaoqi.accounts.models import ApiToken, User
from gaoqi.accounts.services import api_token_issue, api_token_revoke
from gaoqi.errors import ApplicationError, NotFound


class Command(BaseCommand):
    help = "接口令牌：列出、签发（指定有效期）、吊销；均经权限检查并记入审计日志"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("list", "issue"):
            p = sub.add_parser(name)
            p.add_argument("username")
            p.add_argument("--as", dest="actor", required=True, help="执行操作的管理员用户名")
        issue = sub.choices["issue"]
        issue.add_argument("--days", type=int, help="有效期（天），默认 GAOQI_API_TOKEN_DAYS")
        issue.add_argument("--label", default="", help="用途说明")
        issue.add_argument("--reason", default="", help="原因")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("token_id", type=int)
        revoke.add_argument("--as", dest="actor", required=True, help="执行操作的管理员用户名")
        revoke.add_argument("--reason", required=True, help="原因（必填）")

    def handle(self, *args, **opts):
        actor = User.objects.filter(username=opts["actor"], is_active=True).first()
        if actor is None or not actor.is_officer:
            raise CommandError(f"没有名为 {opts['actor']} 的启用的管理员账号")
        try:
            getattr(self, f"_{opts['action']}")(actor, opts)
        except NotFound as exc:
            raise CommandError("账号或令牌不存在，或不在您的管辖范围内") from exc
        except ApplicationError as exc:
            errors = exc.extra.get("errors") or []
            raise CommandError(errors[0]["reason"] if errors else exc.message) from exc

    def _account(self, actor, username) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise NotFound(username)
        selectors.tokens_for(actor=actor, user=user)  # scope: NotFound outside the actor's reach
        return user

    def _list(self, actor, opts):
        user = self._account(actor, opts["username"])
        now = timezone.now()
        for token in selectors.tokens_for(actor=actor, user=user):
            state = "已过期" if token.expires_at <= now else "有效"
            used = (
                timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
                if token.last_used_at
                else "—"
            )
            self.stdout.write(
                f"#{token.pk}\t{state}\t到期 {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}\t"
                f"最近使用 {used}\t{token.label or '—'}"
            )

    def _issue(self, actor, opts):
        user = self._account(actor, opts["username"])
        token, key = api_token_issue(
            actor=actor, user=user, label=opts["label"], reason=opts["reason"], days=opts["days"]
        )
        self.stderr.write(
            f"令牌 #{token.pk} 已签发给 {user.username}，到期 {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}；"
            "以下密钥只显示这一次："
        )
        self.stdout.write(key)

    def _revoke(self, actor, opts):
        token = ApiToken.objects.select_related("user").filter(pk=opts["token_id"]).first()
        if token is None:
            raise NotFound(str(opts["token_id"]))
        token = selectors.token_for(actor=actor, user=token.user, pk=token.pk)
        api_token_revoke(actor=actor, token=token, reason=opts["reason"])
        self.stdout.write(f"令牌 #{opts['token_id']} 已吊销")
