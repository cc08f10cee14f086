"""SPARQL: protocol parsing and negotiation, query analysis, named queries, the Service Description, and
the embedded backend (a pool of killable Oxigraph worker processes)."""
