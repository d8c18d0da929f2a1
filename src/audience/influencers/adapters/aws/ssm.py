"""Stream cursors in SSM Parameter Store (a String parameter per stream, overwritten each run)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client


class SsmCursorStore:
    def __init__(self, prefix: str, client: Any | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("ssm", client_config(attempts=3, read_timeout=3.0))
        return self._client

    def _name(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def load(self, name: str) -> int | None:
        try:
            value = self.client.get_parameter(Name=self._name(name))["Parameter"]["Value"]
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        return int(value)

    def save(self, name: str, cursor: int) -> None:
        self.client.put_parameter(Name=self._name(name), Value=str(cursor), Type="String", Overwrite=True)
