"""`User.all_zones`: "every zone" becomes an explicit choice (security finding 1).

Existing users keep what the admin form promised: a user with no zones had every zone and keeps
it (all_zones = true); staff and viewers with zones are limited to them (viewers used to see every
zone regardless, which was the bug); enterprise users are limited to their firms.
"""

from django.db import migrations, models


def existing_users_keep_their_scope(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(role__in=["admin", "staff", "viewer"], zones__isnull=True).update(all_zones=True)
    User.objects.filter(is_superuser=True).update(all_zones=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_password_reset_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="all_zones",
            field=models.BooleanField(
                default=False, help_text="Staff and viewers: see every zone (otherwise only the zones listed)."
            ),
        ),
        migrations.RunPython(existing_users_keep_their_scope, migrations.RunPython.noop),
    ]
