"""The named-query REST API and the SPARQL examples, on live servers."""
