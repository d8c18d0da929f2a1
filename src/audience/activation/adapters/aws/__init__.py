"""The activation slice's AWS adapters (boto3 only here and in the other adapters/aws packages)."""
