"""Shipped defaults, all of them data administrators edit afterwards (re-running leaves their edits alone):

- the annual figures each programme's holders must have verified for the last fiscal year (the
  data_missing flag), after domain-rules.md §9.1 — the inputs of each programme's computed criteria;
- the beat schedule of the scheduled jobs (django-celery-beat rows, editable in the admin site).
  Each entry expires before its next run would start, so a backlog never runs a job twice over.
"""

from django.db import migrations

REQUIREMENTS = {
    "HNTE": [
        "sales_revenue",
        "high_tech_revenue",
        "rd_expense",
        "rd_expense_domestic",
        "staff_total",
        "st_staff",
        "ip_class1",
        "ip_class2",
        "total_assets",
    ],
    "TSME": [
        "staff_total",
        "st_staff",
        "sales_revenue",
        "total_assets",
        "rd_expense",
        "total_costs",
        "ip_class1",
        "ip_class2",
    ],
    "ISME": [
        "operating_revenue",
        "main_business_revenue",
        "rd_expense",
        "total_assets",
        "total_liabilities",
        "ip_class1",
        "ip_class2",
    ],
    "SRDI": ["operating_revenue", "main_business_revenue", "rd_expense", "total_assets", "total_liabilities"],
    "LITTLE_GIANT": [
        "operating_revenue",
        "main_business_revenue",
        "rd_expense",
        "rd_staff",
        "staff_total",
        "total_assets",
        "total_liabilities",
        "ip_class1",
    ],
    "CHAMPION": ["operating_revenue", "main_business_revenue"],
    "ABOVE_SIZE": ["main_business_revenue"],
    "GAZELLE": ["operating_revenue"],
    "LISTING_RESERVE": ["operating_revenue", "net_profit_recurring"],
}
NOTE = (
    "domain-rules.md §9.1: the inputs of the programme's computed criteria. 数据缺失提醒所需的上一会计年度已核实数据。"
)

# name: (task, args, schedule, expire_seconds)
SCHEDULE = [
    ("flags: nightly scan 夜间扫描", ["scan"], {"crontab": ("0", "2", "*", "*", "*")}, 6 * 3600),
    (
        "flags: monthly above-size check 月度升规检查",
        ["above_size"],
        {"crontab": ("30", "3", "5", "*", "*")},
        12 * 3600,
    ),
    ("flags: yearly rollover 年度结转", ["rollover"], {"crontab": ("30", "0", "1", "1", "*")}, 12 * 3600),
    ("flags: daily digest 每日汇总", ["digest"], {"crontab": ("0", "8", "*", "*", "*")}, 4 * 3600),
]
SWEEP = ("flags: re-evaluate changed firms 变更企业复评", "flags.sweep_changed_firms", 120, 110)
DELIVER = ("flags: deliver notifications 发送通知", "flags.deliver_outbox", 60, 55)


def load_figure_requirements(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    FigureRequirement = apps.get_model("flags", "FigureRequirement")
    for code, fields in REQUIREMENTS.items():
        programme = Programme.objects.filter(code=code).first()
        if programme is not None:
            FigureRequirement.objects.get_or_create(programme=programme, defaults={"fields": fields, "notes": NOTE})


def load_schedule(apps, schema_editor):
    import json

    from django.utils import timezone

    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    changed = False
    for name, args, schedule, expire in SCHEDULE:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        minute, hour, day_of_month, month_of_year, day_of_week = schedule["crontab"]
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(
            name=name,
            task="flags.run_job",
            args=json.dumps(args),
            kwargs=json.dumps({"trigger": "beat"}),
            crontab=crontab,
            expire_seconds=expire,
            enabled=True,
            description="Seedbed scheduled job; runs are listed at /api/v1/jobs/.",
        )
        changed = True
    for name, task, every, expire in (SWEEP, DELIVER):
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        PeriodicTask.objects.create(name=name, task=task, interval=interval, expire_seconds=expire, enabled=True)
        changed = True
    if changed:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unload(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULE] + [SWEEP[0], DELIVER[0]]).delete()
    apps.get_model("flags", "FigureRequirement").objects.all().delete()


def load(apps, schema_editor):
    load_figure_requirements(apps, schema_editor)
    load_schedule(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("flags", "0002_history"),
        ("programmes", "0002_catalogue"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(load, unload)]
