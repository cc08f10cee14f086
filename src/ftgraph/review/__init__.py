"""Reviewing a change to the inputs: what it does to the built graph, the answers and the shapes."""
