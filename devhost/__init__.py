"""The development host: local server, API Gateway shim, HTTP client, the `audience` CLI, the demo.

It only calls the Lambda handlers (functions/) and the slices' entry points, and is never shipped to
Lambda (scripts/build_lambda.sh copies functions/, src/audience and schemas/ only).
"""
