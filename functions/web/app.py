"""The web UI (the Explorer and every other blueprint) behind API Gateway, through apig-wsgi.

API Gateway authorises ``/api/...`` with the Cognito user pool before this function runs; the app
is the same Flask app the local server mounts (``audience.web.register``).
"""

from __future__ import annotations

from apig_wsgi import make_lambda_handler

from audience.settings import get_settings
from audience.web.app import create_app

app = create_app(get_settings())
handler = make_lambda_handler(app, binary_support=False)
