"""The Explorer's Cognito app client, looked up by name at run time.

The web function cannot be given the client id in its environment: the client's callback URL names
the API, the API names the function, and the function would then name the client (a cycle
CloudFormation refuses). The pool id and the client's name are known before any of them exist.
"""

from __future__ import annotations

from typing import Any

from audience.core.aws import client_config, new_client


class ClientNotFoundError(LookupError):
    """No app client of that name in the pool."""


def find_client_id(user_pool_id: str, client_name: str, client: Any | None = None) -> str:
    cognito = client or new_client("cognito-idp", client_config(attempts=3, read_timeout=5.0))
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"UserPoolId": user_pool_id, "MaxResults": 60}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_user_pool_clients(**kwargs)
        for item in page.get("UserPoolClients", []):
            if item.get("ClientName") == client_name:
                return str(item["ClientId"])
        token = page.get("NextToken")
        if not token:
            raise ClientNotFoundError(f"no app client {client_name!r} in user pool {user_pool_id}")
