"""The models' tests import the script-mode modules of ``sagemaker/`` as SageMaker does: from that folder."""

import sys
from pathlib import Path

SAGEMAKER_DIR = Path(__file__).resolve().parents[2] / "sagemaker"
if str(SAGEMAKER_DIR) not in sys.path:
    sys.path.insert(0, str(SAGEMAKER_DIR))
