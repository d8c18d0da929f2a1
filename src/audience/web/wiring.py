"""The web shell's composition root: the adapters its pages use, picked here and nowhere else.

Pages and sign-in import from this module; the Cognito lookup (boto3) stays under ``adapters/aws``.
"""

from audience.web.adapters.aws.cognito import ClientNotFoundError, find_client_id

__all__ = ["ClientNotFoundError", "find_client_id"]
