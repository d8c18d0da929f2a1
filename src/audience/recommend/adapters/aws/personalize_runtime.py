"""Personalize ``GetRecommendations`` on a deployed campaign (the personalize arm, live), with the
seen-items filter applied server-side."""

from __future__ import annotations

from typing import Any

from audience.recommend.adapters.aws._client import make_client


class CampaignRecommender:
    def __init__(self, campaign_arn: str, filter_arn: str | None = None, client: Any | None = None) -> None:
        self.campaign_arn, self.filter_arn = campaign_arn, filter_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("personalize-runtime")
        return self._client

    def recommend(self, user_id: str, num_results: int) -> tuple[list[str], list[float]]:
        kwargs: dict[str, Any] = {
            "campaignArn": self.campaign_arn,
            "userId": user_id,
            "numResults": num_results,
        }
        if self.filter_arn:
            kwargs["filterArn"] = self.filter_arn
        answer = self.client.get_recommendations(**kwargs)
        items = answer.get("itemList", [])
        return [i["itemId"] for i in items], [float(i.get("score", 0.0)) for i in items]
