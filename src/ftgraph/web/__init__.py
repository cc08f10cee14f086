"""The HTTP service: the app, its runtime and answering path, limits, pages, the API and the UI."""
