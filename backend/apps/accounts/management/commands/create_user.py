import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.accounts.models import Role, User
from apps.core import audit
from apps.registry.models import Firm, Zone
from apps.registry.uscc import UsccError, validate


class Command(BaseCommand):
    help = (
        "Creates a user with a role (firms for enterprise users; for staff and viewers either --zone "
        "for each zone they see, or --all-zones)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--password", help="If omitted, a random one is generated and printed.")
        parser.add_argument("--firm", action="append", default=[], help="USCC of a firm (enterprise users); repeatable")
        parser.add_argument(
            "--zone", action="append", default=[], help="Zone code (staff/viewers limited to zones); repeatable"
        )
        parser.add_argument("--all-zones", action="store_true", help="Staff/viewers: see every zone")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        username, role = options["username"], options["role"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists / 用户已存在")
        firms = []
        for raw in options["firm"]:
            try:
                code = validate(raw)
            except UsccError as exc:
                raise CommandError(str(exc)) from exc
            firm = Firm.objects.filter(uscc=code).first()
            if firm is None:
                raise CommandError(f"no firm with USCC {code} / 未找到该企业")
            firms.append(firm)
        zones = []
        for code in options["zone"]:
            zone = Zone.objects.filter(code=code).first()
            if zone is None:
                raise CommandError(f"no zone {code!r}; known: {', '.join(Zone.objects.values_list('code', flat=True))}")
            zones.append(zone)
        if role == Role.ENTERPRISE and not firms:
            raise CommandError("an enterprise user needs --firm USCC / 企业用户必须关联企业")
        if role in (Role.STAFF, Role.VIEWER) and not zones and not options["all_zones"]:
            raise CommandError("staff and viewers need --zone CODE or --all-zones / 请指定片区或全部片区")
        if zones and options["all_zones"]:
            raise CommandError("give --zone or --all-zones, not both / 二者只能选其一")
        password = options["password"] or secrets.token_urlsafe(12)
        with audit.change_context(source="command", reason=f"create_user {username}"):
            user = User(username=username, role=role, email=options["email"], display_name=options["display_name"])
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.all_zones = role == Role.ADMIN or bool(options["all_zones"])
            user.set_password(password)
            user.save()
            user.firms.set(firms)
            user.zones.set(zones)
        self.stdout.write(f"created {role} {username}" + ("" if options["password"] else f" with password {password}"))
