"""Fuzz tests on live servers: schemathesis on the OpenAPI document, hypothesis on /sparql and paths."""
