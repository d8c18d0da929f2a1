"""The models slice's AWS adapters (boto3 only here)."""
