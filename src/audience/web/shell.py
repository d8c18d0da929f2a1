"""The web app's shell: the pages in its navigation, shared by every page's template.

A page is a Flask blueprint under :mod:`audience.web.pages` whose template extends ``base.html``;
it joins the navigation by adding one :class:`NavPage` to :data:`NAV_PAGES`. The list's order is the
navigation's order; ``endpoint`` is the blueprint endpoint that renders the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class NavPage:
    endpoint: str
    label: str
    path: str


NAV_PAGES: Final[list[NavPage]] = [
    NavPage("dashboard.page", "Dashboard", "/dashboard"),
    NavPage("explorer.page", "Explorer", "/explorer"),
    NavPage("insights.page", "Insights", "/insights"),
    NavPage("recommendations.page", "Recommendations", "/recommendations"),
    NavPage("influencers.page", "Influencers", "/influencers"),
]
