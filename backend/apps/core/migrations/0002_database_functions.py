from django.db import migrations

from apps.core.search import DROP_GRAMS_SQL, GRAMS_SQL
from apps.core.sql import AUDIT_FUNCTION, DROP_AUDIT_FUNCTION


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunSQL(AUDIT_FUNCTION, DROP_AUDIT_FUNCTION),
        migrations.RunSQL(GRAMS_SQL, DROP_GRAMS_SQL),
    ]
