"""SHACL validation of the inputs and of built stores: the report, the SPARQL engine, the pyshacl one."""
