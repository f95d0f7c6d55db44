"""RRMM clinical assistant: rules, retrieval and grounded answers over the five source reviews.

Nothing heavy is imported here: the model, the Chroma client and the rule data are built on demand
and passed in, so importing the package is cheap and side-effect free.
"""
