"""The served-lists log in AWS: one JSON line per answer into a Firehose stream that delivers to the
lake's ``recommendations-served/`` prefix (the ``recommendations_served`` Glue table reads it)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from audience.recommend.adapters.aws._client import make_client
from audience.recommend.ports import ServedList


class FirehoseServedLog:
    def __init__(self, stream: str, client: Any | None = None) -> None:
        self.stream = stream
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("firehose")
        return self._client

    def record(self, served: ServedList) -> None:
        line = json.dumps(asdict(served), separators=(",", ":")) + "\n"
        self.client.put_record(DeliveryStreamName=self.stream, Record={"Data": line.encode()})
