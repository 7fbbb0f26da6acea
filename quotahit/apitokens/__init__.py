"""QuotaHit apitokens module: personal API tokens for the REST API."""
