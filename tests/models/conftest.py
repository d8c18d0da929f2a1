"""The models' tests import the script-mode modules of ``sagemaker/`` as SageMaker does: from that folder."""

import sys
from pathlib import Path

SAGEMAKER_DIR = Path(__file__).resolve().parents[2] / "sagemaker"
if str(SAGEMAKER_DIR) not in sys.path:
    sys.path.insert(0, str(SAGEMAKER_DIR))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region in every test, so a stray call could never reach an account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
