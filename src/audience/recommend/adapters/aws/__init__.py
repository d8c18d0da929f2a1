"""boto3 adapters: DynamoDB recommendations table, Personalize runtime (campaigns)."""
