"""The staff API (CONTRACT §4): JSON, bearer tokens, one error format, an OpenAPI document."""
