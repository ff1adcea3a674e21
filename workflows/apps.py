from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Handlers live in each installed app's ``handlers.py``; importing them registers them.
        from django.utils.module_loading import autodiscover_modules

        import workflows.checks  # noqa: F401  (registers the start-up checks)
        import workflows.core.steps  # noqa: F401  (registers the built-in node types)

        autodiscover_modules("handlers")
