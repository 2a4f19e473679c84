from django.apps import AppConfig
from django.apps import apps as global_apps
from django.core.management import call_command
from django.db import connections, router
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The listeners below only queue a task, passing the event id on (STYLE.md §2, §5); the services act
# once per event id.


def enqueue_password_reset_send(name: str, *, event_id: str, **payload) -> None:
    """Queue the password-reset mail of a `user.password_reset_requested` event."""
    from crm.tasks import user_password_reset_send_task  # noqa: PLC0415  (tasks import the app's models)

    user_password_reset_send_task.delay(event_id=event_id, **payload)


def enqueue_password_change_notify(name: str, *, event_id: str, **payload) -> None:
    """Queue the "your password was changed" mail of a `user.password_changed` event."""
    from crm.tasks import user_password_change_notify_task  # noqa: PLC0415

    user_password_change_notify_task.delay(event_id=event_id, **payload)


def sync_roles_after_migrate(sender, *, app_config, using, verbosity=1, plan=None, **kwargs) -> None:
    """Apply crm.roles once per migrate (or flush), after the last app's post_migrate.

    post_migrate is sent once per app with models, in INSTALLED_APPS order, and auth creates each
    app's permissions in its own receiver; only at the last app do all permissions exist.
    After migrating backwards, or part of the way (`migrate <app> <migration>`), the schema may lack
    permissions crm.roles names: the groups are then left as they are until a full migrate (or
    sync_roles) runs. Only grants are made here; withdrawing is `sync_roles --prune`, never a deploy's.
    """
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if app_config is not with_models[-1]:
        return
    if not router.allow_migrate_model(using, global_apps.get_model("auth", "Permission")):
        return
    if any(backwards for _migration, backwards in plan or ()) or not _fully_migrated(using):
        if verbosity >= 1:
            print(gettext("Roles not synced: the database is not fully migrated; run sync_roles once it is."))
        return
    call_command("sync_roles", database=using, verbosity=verbosity)


def _fully_migrated(using: str) -> bool:
    executor = MigrationExecutor(connections[using])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)
        from crm.services import PASSWORD_CHANGED, PASSWORD_RESET_REQUESTED  # noqa: PLC0415

        events.subscribe(PASSWORD_RESET_REQUESTED, enqueue_password_reset_send)
        events.subscribe(PASSWORD_CHANGED, enqueue_password_change_notify)
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="crm.sync_roles_after_migrate")
