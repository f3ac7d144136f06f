"""The FastAPI application: app factory, routers, dependencies and error handlers."""
