from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "workflows.demo"
    label = "demo"
    verbose_name = "Demo handlers and templates"
