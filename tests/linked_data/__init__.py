"""Dereferenceable IRIs, their documents and the ontology page, on live servers."""
