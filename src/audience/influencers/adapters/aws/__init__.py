"""boto3 adapters: Comprehend sentiment, the DynamoDB serving store, the SSM cursor."""
