"""Move the content types of ApiToken and IdempotencyKey from core to restapi (issue #6).

Renaming the rows (rather than letting post_migrate create new ones) keeps their ids, so the
permissions on them — and every group and user holding those permissions — stay as they were.
Should a restapi row already exist (post_migrate ran between the two steps), core's permissions
are merged into it and core's row is dropped.
"""

from django.db import migrations

MODELS = ("apitoken", "idempotencykey")


def _move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(using).filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.using(using).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        for permission in Permission.objects.using(using).filter(content_type=old):
            kept = Permission.objects.using(using).filter(content_type=new, codename=permission.codename).first()
            if kept is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in permission.group_set.all():
                group.permissions.add(kept)
            for user in permission.user_set.all():
                user.user_permissions.add(kept)
            permission.delete()
        old.delete()


def forwards(apps, schema_editor):
    _move(apps, schema_editor, source="core", target="restapi")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, source="restapi", target="core")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("restapi", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
