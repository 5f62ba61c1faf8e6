"""The demo park's logins. Plain data, importable without Django (the launcher prints them)."""

from typing import Any

DEMO_PASSWORD = "Seedbed-2026"

DEMO_USERS: list[dict[str, Any]] = [
    {"username": "admin", "role": "admin", "display_name": "系统管理员", "note": "administrator: everything"},
    {"username": "staff", "role": "staff", "display_name": "李服务", "note": "staff: every zone"},
    {
        "username": "staff_zb",
        "role": "staff",
        "display_name": "周综保",
        "note": "staff: 综保区 only",
        "zones": ["zongbao"],
    },
    {"username": "viewer", "role": "viewer", "display_name": "王领导", "note": "viewer: read-only, every zone"},
    {
        "username": "enterprise",
        "role": "enterprise",
        "display_name": "威马农机 联系人",
        "note": "enterprise: 威马农机股份有限公司 only",
        "firms": ["威马农机股份有限公司"],
    },
]
