import sys
from pathlib import Path

# tests/builders.py (and the other shared kits here) are shared by every test folder.
sys.path.insert(0, str(Path(__file__).parent))

# The AWS adapter tests of every slice share the moto fixtures (and fake credentials in every test).
from aws_fixtures import aws, aws_env, dynamodb, firehose, s3

__all__ = ["aws", "aws_env", "dynamodb", "firehose", "s3"]
