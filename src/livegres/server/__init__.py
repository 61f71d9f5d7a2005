"""HTTP transport: Starlette routes and middleware. Nothing here knows SQL."""
