"""The graph from the inputs: parsing with provenance (sources), the build-time entailment (derive), VoID."""
