"""ftgraph: the Aix-Marseille French Tech knowledge graph and its SPARQL endpoint."""

__version__ = "0.1.0"
