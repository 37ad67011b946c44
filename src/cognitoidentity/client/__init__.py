"""The client's implementation, in private modules; import it from :mod:`cognitoidentity`.

``_config`` the seed's configuration keys; ``_client`` the facade over botocore; ``_model`` the
operations and wire types generated from the vendored model (:mod:`cognitoidentity._models`) by
``python -m scripts.codegen``; ``_errors`` the error classes; ``_paginate`` page walking;
``_credentials`` the identity-pool credentials helper; ``_decisions`` the decision endpoint's
client and ASGI middleware.
The typed shapes of requests and results are public in :mod:`cognitoidentity.client.types`.
"""
