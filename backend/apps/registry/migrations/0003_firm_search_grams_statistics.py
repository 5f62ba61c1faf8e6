"""Finer planner statistics for the firm search grams (docs/benchmarks.md).

A one- or two-character search is only `search_grams @> ARRAY[...]` (apps.registry.filters). With the
default statistics target PostgreSQL tracks the 1,000 most common grams and guesses every other gram at
half the rarest tracked frequency: at 100,000 firms a trade name found once was estimated at ~150 rows,
so `ORDER BY id LIMIT 50` walked the primary key through half the table (120 ms). Tracking 10,000 grams
makes rare grams rare to the planner too; ANALYZE takes about a second longer at that size.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_industries_and_history")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE registry_firm ALTER COLUMN search_grams SET STATISTICS 1000;",
            "ALTER TABLE registry_firm ALTER COLUMN search_grams SET STATISTICS -1;",
        ),
    ]
