"""ApiToken and IdempotencyKey moved to the restapi app (issue #6): removed from core's state only.

Their tables stay as they are; restapi/migrations/0001_initial.py takes them over under the same
names, and restapi/migrations/0002_move_content_types.py moves their content types (and so the
permissions that groups hold on them).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="IdempotencyKey"),
            ],
            database_operations=[],
        ),
    ]
