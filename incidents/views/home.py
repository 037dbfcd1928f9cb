"""The home page: a user's figures at a glance."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

# The module, not its names: the cap is read when the page is drawn.
from ..selectors import home as selectors_home


@login_required
def home(request):
    return render(
        request,
        "incidents/home.html",
        {
            "counts": selectors_home.home_counts(request.user),
            # Counted up to the cap and shown as "10,000+" beyond it.
            "count_cap": selectors_home.HOME_COUNT_CAP,
        },
    )
