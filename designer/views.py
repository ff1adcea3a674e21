from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from workflows.models import Instance, Template


@login_required
def home(request):
    templates = Template.objects.filter(archived_at__isnull=True).prefetch_related("versions")
    instances = Instance.objects.filter(is_test=False).select_related("template", "version")[:25]
    return render(request, "home.html", {"templates": templates, "instances": instances})
